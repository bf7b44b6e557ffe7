-- GET /api/v1/servers?format=csv&status=up&sort=hostname

select *
from "servers"
where "status" in (?)
order by "hostname" asc, "id" asc
limit ?;
-- 1: 'up'
-- 2: 500
