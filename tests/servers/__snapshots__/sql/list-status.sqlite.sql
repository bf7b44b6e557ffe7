-- GET /api/v1/servers?status=down,maintenance

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "status" in (?, ?)
order by "id" asc
limit ?;
-- 1: 'down'
-- 2: 'maintenance'
-- 3: 101

select count(*) as "count"
from "servers"
where "status" in (?, ?);
-- 1: 'down'
-- 2: 'maintenance'
