-- GET /api/v1/servers?cf_rack=R1&cf_rack=R1,2&cf_u__gte=2&cf_u__lte=10&cf_pci=true&cf_pci__empty=false

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where (case when json_extract(custom_fields, '$.pci') is null then 1 else 0 end) = ? and coalesce(json_extract(custom_fields, '$.pci'), 0) in (?) and (case when json_extract(custom_fields, '$.rack') is null then 1 else 0 end) = ? and coalesce(json_extract(custom_fields, '$.rack'), '') in (?, ?) and (case when json_extract(custom_fields, '$.u') is null then 1 else 0 end) = ? and coalesce(json_extract(custom_fields, '$.u'), 0) >= ? and coalesce(json_extract(custom_fields, '$.u'), 0) <= ?
order by "id" asc
limit ?;
-- 1: 0
-- 2: 1
-- 3: 0
-- 4: 'R1'
-- 5: 'R1,2'
-- 6: 0
-- 7: 2
-- 8: 10
-- 9: 101

select count(*) as "count"
from "servers"
where (case when json_extract(custom_fields, '$.pci') is null then 1 else 0 end) = ? and coalesce(json_extract(custom_fields, '$.pci'), 0) in (?) and (case when json_extract(custom_fields, '$.rack') is null then 1 else 0 end) = ? and coalesce(json_extract(custom_fields, '$.rack'), '') in (?, ?) and (case when json_extract(custom_fields, '$.u') is null then 1 else 0 end) = ? and coalesce(json_extract(custom_fields, '$.u'), 0) >= ? and coalesce(json_extract(custom_fields, '$.u'), 0) <= ?;
-- 1: 0
-- 2: 1
-- 3: 0
-- 4: 'R1'
-- 5: 'R1,2'
-- 6: 0
-- 7: 2
-- 8: 10
