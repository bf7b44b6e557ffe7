-- GET /api/v1/servers?format=csv&status=up&sort=hostname, its chunks after the first (here after host name web-2, id 2)

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "status" in (?) and ("hostname" >= ? and ("hostname" > ? or ("hostname" = ? and "id" > ?)))
order by "hostname" asc, "id" asc
limit ?;
-- 1: 'up'
-- 2: 'web-2'
-- 3: 'web-2'
-- 4: 'web-2'
-- 5: 2
-- 6: 200
