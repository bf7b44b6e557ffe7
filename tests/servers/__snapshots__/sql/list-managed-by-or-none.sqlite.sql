-- GET /api/v1/servers?managed_by=vcenter-sync,(none)

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where ("managed_by" in (?) or "managed_by" is null)
order by "id" asc
limit ?;
-- 1: 'vcenter-sync'
-- 2: 101

select count(*) as "count"
from "servers"
where ("managed_by" in (?) or "managed_by" is null);
-- 1: 'vcenter-sync'
