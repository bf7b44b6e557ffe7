-- GET /api/v1/servers?sort=-cf_u&limit=2

select *
from (select *
  from (select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
      from "server_counts"
      where "scope" = 'all') as "listing_total"
    from "servers"
    where (case when (custom_fields ->> 'u') is null then 1 else 0 end) = $1
    order by coalesce(((custom_fields ->> 'u'))::numeric, 0) desc, "id" asc
    limit $2) as "present" union all select *
  from (select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
      from "server_counts"
      where "scope" = 'all') as "listing_total"
    from "servers"
    where (case when (custom_fields ->> 'u') is null then 1 else 0 end) = $3
    order by coalesce(((custom_fields ->> 'u'))::numeric, 0) asc, "id" asc
    limit $4) as "absent") as "page"
order by (case when (custom_fields ->> 'u') is null then 1 else 0 end) asc, coalesce(((custom_fields ->> 'u'))::numeric, 0) desc, "id" asc
limit $5;
-- 1: 0
-- 2: 3
-- 3: 1
-- 4: 3
-- 5: 3
