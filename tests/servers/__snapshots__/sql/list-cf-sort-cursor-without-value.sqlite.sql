-- GET /api/v1/servers?sort=-cf_u&limit=2&cursor=eyJmIjoiRHRaNnplMmMyTkRSaExPaSIsImsiOltbMSwwXSwzXX0

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
  from "server_counts"
  where "scope" = 'all') as "listing_total"
from "servers"
where (case when json_extract(custom_fields, '$.u') is null then 1 else 0 end) = ? and ("id" >= ? and "id" > ?)
order by coalesce(json_extract(custom_fields, '$.u'), 0) asc, "id" asc
limit ?;
-- 1: 1
-- 2: 3
-- 3: 3
-- 4: 3
