-- GET /api/v1/servers?sort=status,-cf_pci&limit=2&cursor=eyJmIjoiYW56MEU4QjRRdW9GdkNXRiIsImsiOlsidXAiLFswLDFdLDJdfQ

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
  from "server_counts"
  where "scope" = 'all') as "listing_total"
from "servers"
where ("status" >= ? and ("status" > ? or ("status" = ? and (case when json_extract(custom_fields, '$.pci') is null then 1 else 0 end) > ?) or ("status" = ? and (case when json_extract(custom_fields, '$.pci') is null then 1 else 0 end) = ? and coalesce(json_extract(custom_fields, '$.pci'), 0) < ?) or ("status" = ? and (case when json_extract(custom_fields, '$.pci') is null then 1 else 0 end) = ? and coalesce(json_extract(custom_fields, '$.pci'), 0) = ? and "id" > ?)))
order by "status" asc, (case when json_extract(custom_fields, '$.pci') is null then 1 else 0 end) asc, coalesce(json_extract(custom_fields, '$.pci'), 0) desc, "id" asc
limit ?;
-- 1: 'up'
-- 2: 'up'
-- 3: 'up'
-- 4: 0
-- 5: 'up'
-- 6: 0
-- 7: 1
-- 8: 'up'
-- 9: 0
-- 10: 1
-- 11: 2
-- 12: 3
