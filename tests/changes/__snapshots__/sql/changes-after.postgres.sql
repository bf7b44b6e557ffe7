-- GET /api/v1/changes?after=2&limit=3

select *
from "server_changes"
where "seq" > $1
order by "seq" asc
limit $2;
-- 1: 2
-- 2: 3
