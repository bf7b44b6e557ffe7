-- GET /api/v1/servers?sort=cf_u,-ip&limit=2&cursor=eyJmIjoiNXpSV242b09KMlNnak8zSSIsImsiOltbMCw4XSx7ImIiOiIwNDBhMDAwMDA5In0sMl19

select *
from (select *
  from (select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
      from "server_counts"
      where "scope" = 'all') as "listing_total", "ip_key"
    from "servers"
    where (case when (custom_fields ->> 'u') is null then 1 else 0 end) = $1 and (coalesce(((custom_fields ->> 'u'))::numeric, 0) >= $2 and (coalesce(((custom_fields ->> 'u'))::numeric, 0) > $3 or (coalesce(((custom_fields ->> 'u'))::numeric, 0) = $4 and "ip_key" < $5) or (coalesce(((custom_fields ->> 'u'))::numeric, 0) = $6 and "ip_key" = $7 and "id" > $8)))
    order by coalesce(((custom_fields ->> 'u'))::numeric, 0) asc, "ip_key" desc, "id" asc
    limit $9) as "present" union all select *
  from (select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
      from "server_counts"
      where "scope" = 'all') as "listing_total", "ip_key"
    from "servers"
    where (case when (custom_fields ->> 'u') is null then 1 else 0 end) = $10
    order by coalesce(((custom_fields ->> 'u'))::numeric, 0) asc, "ip_key" desc, "id" asc
    limit $11) as "absent") as "page"
order by (case when (custom_fields ->> 'u') is null then 1 else 0 end) asc, coalesce(((custom_fields ->> 'u'))::numeric, 0) asc, "ip_key" desc, "id" asc
limit $12;
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
