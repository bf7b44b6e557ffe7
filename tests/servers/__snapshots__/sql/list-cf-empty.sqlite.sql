-- GET /api/v1/servers?cf_u__empty=true

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where (case when json_extract(custom_fields, '$.u') is null then 1 else 0 end) = ?
order by "id" asc
limit ?;
-- 1: 1
-- 2: 101

select count(*) as "count"
from "servers"
where (case when json_extract(custom_fields, '$.u') is null then 1 else 0 end) = ?;
-- 1: 1
