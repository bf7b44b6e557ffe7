-- GET /api/v1/changes?order=desc&before=5&limit=2

select *
from "server_changes"
where "seq" > ? and "seq" < ?
order by "seq" desc
limit ?;
-- 1: 0
-- 2: 5
-- 3: 2
