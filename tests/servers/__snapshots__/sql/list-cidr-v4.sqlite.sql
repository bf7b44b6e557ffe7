-- GET /api/v1/servers?cidr=10.0.0.0/8

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "ip_key" between ? and ?
order by "id" asc
limit ?;
-- 1: x'040a000000'
-- 2: x'040affffff'
-- 3: 101

select count(*) as "count"
from "servers"
where "ip_key" between ? and ?;
-- 1: x'040a000000'
-- 2: x'040affffff'
