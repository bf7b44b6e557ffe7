-- GET /api/v1/servers?managed_by=vcenter-sync&last_seen_before=2026-01-01T00:05:00Z

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "managed_by" in (?) and ("last_seen_at" < ? or "last_seen_at" is null)
order by "id" asc
limit ?;
-- 1: 'vcenter-sync'
-- 2: '2026-01-01T00:05:00.000Z'
-- 3: 101

select count(*) as "count"
from "servers"
where "managed_by" in (?) and ("last_seen_at" < ? or "last_seen_at" is null);
-- 1: 'vcenter-sync'
-- 2: '2026-01-01T00:05:00.000Z'
