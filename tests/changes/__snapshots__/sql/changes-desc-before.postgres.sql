-- GET /api/v1/changes?order=desc&before=5&limit=2

select *
from "server_changes"
where "seq" > $1 and "seq" < $2
order by "seq" desc
limit $3;
-- 1: 0
-- 2: 5
-- 3: 2
