-- GET /api/v1/servers?sort=cf_u,-ip&limit=2&cursor=eyJmIjoiNXpSV242b09KMlNnak8zSSIsImsiOltbMCw4XSx7ImIiOiIwNDBhMDAwMDA5In0sMl19

select *
from (select *
  from (select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
      from "server_counts"
      where "scope" = 'all') as "listing_total", "ip_key"
    from "servers"
    where (case when json_extract(custom_fields, '$.u') is null then 1 else 0 end) = ? and (coalesce(json_extract(custom_fields, '$.u'), 0) >= ? and (coalesce(json_extract(custom_fields, '$.u'), 0) > ? or (coalesce(json_extract(custom_fields, '$.u'), 0) = ? and "ip_key" < ?) or (coalesce(json_extract(custom_fields, '$.u'), 0) = ? and "ip_key" = ? and "id" > ?)))
    order by coalesce(json_extract(custom_fields, '$.u'), 0) asc, "ip_key" desc, "id" asc
    limit ?) as "present" union all select *
  from (select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
      from "server_counts"
      where "scope" = 'all') as "listing_total", "ip_key"
    from "servers"
    where (case when json_extract(custom_fields, '$.u') is null then 1 else 0 end) = ?
    order by coalesce(json_extract(custom_fields, '$.u'), 0) asc, "ip_key" desc, "id" asc
    limit ?) as "absent") as "page"
order by (case when json_extract(custom_fields, '$.u') is null then 1 else 0 end) asc, coalesce(json_extract(custom_fields, '$.u'), 0) asc, "ip_key" desc, "id" asc
limit ?;
-- 1: 0
-- 2: 8
-- 3: 8
-- 4: 8
-- 5: x'040a000009'
-- 6: 8
-- 7: x'040a000009'
-- 8: 2
-- 9: 3
-- 10: 1
-- 11: 3
-- 12: 3
