-- GET /api/v1/servers?updated_since=2026-01-01T00:05:00Z

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "updated_at" >= ?
order by "id" asc
limit ?;
-- 1: '2026-01-01T00:05:00.000Z'
-- 2: 101

select count(*) as "count"
from "servers"
where "updated_at" >= ?;
-- 1: '2026-01-01T00:05:00.000Z'
