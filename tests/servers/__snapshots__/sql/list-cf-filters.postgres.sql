-- GET /api/v1/servers?cf_rack=R1&cf_rack=R1,2&cf_u__gte=2&cf_u__lte=10&cf_pci=true&cf_pci__empty=false

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where (case when (custom_fields ->> 'pci') is null then 1 else 0 end) = $1 and (case (custom_fields ->> 'pci') when 'true' then 1 else 0 end) in ($2) and (case when (custom_fields ->> 'rack') is null then 1 else 0 end) = $3 and (coalesce((custom_fields ->> 'rack'), '') collate "C") in ($4, $5) and (case when (custom_fields ->> 'u') is null then 1 else 0 end) = $6 and coalesce(((custom_fields ->> 'u'))::numeric, 0) >= $7 and coalesce(((custom_fields ->> 'u'))::numeric, 0) <= $8
order by "id" asc
limit $9;
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
where (case when (custom_fields ->> 'pci') is null then 1 else 0 end) = $1 and (case (custom_fields ->> 'pci') when 'true' then 1 else 0 end) in ($2) and (case when (custom_fields ->> 'rack') is null then 1 else 0 end) = $3 and (coalesce((custom_fields ->> 'rack'), '') collate "C") in ($4, $5) and (case when (custom_fields ->> 'u') is null then 1 else 0 end) = $6 and coalesce(((custom_fields ->> 'u'))::numeric, 0) >= $7 and coalesce(((custom_fields ->> 'u'))::numeric, 0) <= $8;
-- 1: 0
-- 2: 1
-- 3: 0
-- 4: 'R1'
-- 5: 'R1,2'
-- 6: 0
-- 7: 2
-- 8: 10
