-- GET /api/v1/integrations/ansible?status=up,down&tag=edge

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields"
from "servers"
where "status" in (?, ?) and "servers"."id" in (select "server_id"
  from "server_tags"
  where "tag" in (?)
  group by "server_id"
  having count(*) = ?)
order by "id"
limit ?;
-- 1: 'up'
-- 2: 'down'
-- 3: 'edge'
-- 4: 1
-- 5: 1000
