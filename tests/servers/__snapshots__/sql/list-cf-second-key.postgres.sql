-- GET /api/v1/servers?sort=status,-cf_pci&limit=2&cursor=eyJmIjoiYW56MEU4QjRRdW9GdkNXRiIsImsiOlsidXAiLFswLDFdLDJdfQ

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
  from "server_counts"
  where "scope" = 'all') as "listing_total"
from "servers"
where ("status" >= $1 and ("status" > $2 or ("status" = $3 and (case when (custom_fields ->> 'pci') is null then 1 else 0 end) > $4) or ("status" = $5 and (case when (custom_fields ->> 'pci') is null then 1 else 0 end) = $6 and (case (custom_fields ->> 'pci') when 'true' then 1 else 0 end) < $7) or ("status" = $8 and (case when (custom_fields ->> 'pci') is null then 1 else 0 end) = $9 and (case (custom_fields ->> 'pci') when 'true' then 1 else 0 end) = $10 and "id" > $11)))
order by "status" asc, (case when (custom_fields ->> 'pci') is null then 1 else 0 end) asc, (case (custom_fields ->> 'pci') when 'true' then 1 else 0 end) desc, "id" asc
limit $12;
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
