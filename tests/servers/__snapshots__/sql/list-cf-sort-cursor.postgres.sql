-- GET /api/v1/servers?sort=-cf_u&limit=2&cursor=eyJmIjoiRHRaNnplMmMyTkRSaExPaSIsImsiOltbMCw4XSwzXX0

select *
from (select *
  from (select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
      from "server_counts"
      where "scope" = 'all') as "listing_total"
    from "servers"
    where (case when (custom_fields ->> 'u') is null then 1 else 0 end) = $1 and (coalesce(((custom_fields ->> 'u'))::numeric, 0) <= $2 and (coalesce(((custom_fields ->> 'u'))::numeric, 0) < $3 or (coalesce(((custom_fields ->> 'u'))::numeric, 0) = $4 and "id" > $5)))
    order by coalesce(((custom_fields ->> 'u'))::numeric, 0) desc, "id" asc
    limit $6) as "present" union all select *
  from (select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
      from "server_counts"
      where "scope" = 'all') as "listing_total"
    from "servers"
    where (case when (custom_fields ->> 'u') is null then 1 else 0 end) = $7
    order by coalesce(((custom_fields ->> 'u'))::numeric, 0) asc, "id" asc
    limit $8) as "absent") as "page"
order by (case when (custom_fields ->> 'u') is null then 1 else 0 end) asc, coalesce(((custom_fields ->> 'u'))::numeric, 0) desc, "id" asc
limit $9;
-- 1: 0
-- 2: 8
-- 3: 8
-- 4: 8
-- 5: 3
-- 6: 3
-- 7: 1
-- 8: 3
-- 9: 3
