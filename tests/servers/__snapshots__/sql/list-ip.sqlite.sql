-- GET /api/v1/servers?ip=2001:DB8::1

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "ip" in (?)
order by "id" asc
limit ?;
-- 1: '2001:db8::1'
-- 2: 101

select count(*) as "count"
from "servers"
where "ip" in (?);
-- 1: '2001:db8::1'
