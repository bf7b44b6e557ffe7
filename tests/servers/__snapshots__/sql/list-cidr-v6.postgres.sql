-- GET /api/v1/servers?cidr=2001:db8::/32

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "ip_key" between $1 and $2
order by "id" asc
limit $3;
-- 1: x'0620010db8000000000000000000000000'
-- 2: x'0620010db8ffffffffffffffffffffffff'
-- 3: 101

select count(*) as "count"
from "servers"
where "ip_key" between $1 and $2;
-- 1: x'0620010db8000000000000000000000000'
-- 2: x'0620010db8ffffffffffffffffffffffff'
