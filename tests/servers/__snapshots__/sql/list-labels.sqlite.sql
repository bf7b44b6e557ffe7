-- GET /api/v1/servers?environment=production&role=web&location=par-1&os=debian-12

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "environment" in (?) and "role" in (?) and "location" in (?) and "os" in (?)
order by "id" asc
limit ?;
-- 1: 'production'
-- 2: 'web'
-- 3: 'par-1'
-- 4: 'debian-12'
-- 5: 101

select count(*) as "count"
from "servers"
where "environment" in (?) and "role" in (?) and "location" in (?) and "os" in (?);
-- 1: 'production'
-- 2: 'web'
-- 3: 'par-1'
-- 4: 'debian-12'
