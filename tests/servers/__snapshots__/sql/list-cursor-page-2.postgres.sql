-- GET /api/v1/servers?sort=-ip,hostname&limit=2&cursor=eyJmIjoiMEJnZTNoZmRuazdOQjVtWSIsImsiOlt7ImIiOiIwNDBhMDAwMDA5In0sIndlYi0yIiwyXX0

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
  from "server_counts"
  where "scope" = 'all') as "listing_total"
from "servers"
where ("ip_key" <= $1 and ("ip_key" < $2 or ("ip_key" = $3 and "hostname" > $4) or ("ip_key" = $5 and "hostname" = $6 and "id" > $7)))
order by "ip_key" desc, "hostname" asc, "id" asc
limit $8;
-- 1: x'040a000009'
-- 2: x'040a000009'
-- 3: x'040a000009'
-- 4: 'web-2'
-- 5: x'040a000009'
-- 6: 'web-2'
-- 7: 2
-- 8: 3

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where ("ip_key" <= $1 and ("ip_key" < $2 or ("ip_key" = $3 and "hostname" > $4) or ("ip_key" = $5 and "hostname" = $6 and "id" > $7)))
order by "ip_key" desc, "hostname" asc, "id" asc
limit $8;
-- 1: x'040a000009'
-- 2: x'040a000009'
-- 3: x'040a000009'
-- 4: 'web-2'
-- 5: x'040a000009'
-- 6: 'web-2'
-- 7: 2
-- 8: 3

select "total"
from "server_counts"
where "scope" = $1;
-- 1: 'all'
