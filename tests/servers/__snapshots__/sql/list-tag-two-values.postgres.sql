-- GET /api/v1/servers?tag=pci,edge

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where "servers"."id" in (select "server_id"
  from "server_tags"
  where "tag" in ($1, $2)
  group by "server_id"
  having count(*) = $3)
order by "id" asc
limit $4;
-- 1: 'pci'
-- 2: 'edge'
-- 3: 2
-- 4: 101

select count(*) as "count"
from "servers"
where "servers"."id" in (select "server_id"
  from "server_tags"
  where "tag" in ($1, $2)
  group by "server_id"
  having count(*) = $3);
-- 1: 'pci'
-- 2: 'edge'
-- 3: 2
