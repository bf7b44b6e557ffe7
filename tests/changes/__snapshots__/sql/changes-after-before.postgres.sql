-- GET /api/v1/changes?after=1&before=4&order=desc

select *
from "server_changes"
where "seq" > $1 and "seq" < $2
order by "seq" desc
limit $3;
-- 1: 1
-- 2: 4
-- 3: 100
