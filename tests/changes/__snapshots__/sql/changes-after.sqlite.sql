-- GET /api/v1/changes?after=2&limit=3

select *
from "server_changes"
where "seq" > ?
order by "seq" asc
limit ?;
-- 1: 2
-- 2: 3
