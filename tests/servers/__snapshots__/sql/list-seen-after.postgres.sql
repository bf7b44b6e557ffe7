-- GET /api/v1/servers?last_seen_after=2026-01-01T00:05:00Z

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "last_seen_at" >= $1
order by "id" asc
limit $2;
-- 1: '2026-01-01T00:05:00.000Z'
-- 2: 101

select count(*) as "count"
from "servers"
where "last_seen_at" >= $1;
-- 1: '2026-01-01T00:05:00.000Z'
