-- GET /api/v1/servers?environment=production&role=web&location=par-1&os=debian-12

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "environment" in ($1) and "role" in ($2) and "location" in ($3) and "os" in ($4)
order by "id" asc
limit $5;
-- 1: 'production'
-- 2: 'web'
-- 3: 'par-1'
-- 4: 'debian-12'
-- 5: 101

select count(*) as "count"
from "servers"
where "environment" in ($1) and "role" in ($2) and "location" in ($3) and "os" in ($4);
-- 1: 'production'
-- 2: 'web'
-- 3: 'par-1'
-- 4: 'debian-12'
