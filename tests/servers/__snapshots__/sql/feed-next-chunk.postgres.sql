-- GET /api/v1/integrations/ansible?status=up,down&tag=edge, its chunks after the first (here after id 2)

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields"
from "servers"
where "status" in ($1, $2) and "servers"."id" in (select "server_id"
  from "server_tags"
  where "tag" in ($3)
  group by "server_id"
  having count(*) = $4) and "id" > $5
order by "id"
limit $6;
-- 1: 'up'
-- 2: 'down'
-- 3: 'edge'
-- 4: 1
-- 5: 2
-- 6: 1000
