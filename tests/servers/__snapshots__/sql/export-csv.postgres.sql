-- GET /api/v1/servers?format=csv&status=up&sort=hostname

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "status" in ($1)
order by "hostname" asc, "id" asc
limit $2;
-- 1: 'up'
-- 2: 200
