-- GET /api/v1/servers?hostname=WEB-1

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "hostname" in (?)
order by "id" asc
limit ?;
-- 1: 'web-1'
-- 2: 101

select count(*) as "count"
from "servers"
where "hostname" in (?);
-- 1: 'web-1'
