-- GET /api/v1/servers

select *
from "servers"
order by "id" asc
limit ?;
-- 1: 101

select "total"
from "server_counts"
where "scope" = ?;
-- 1: 'all'
