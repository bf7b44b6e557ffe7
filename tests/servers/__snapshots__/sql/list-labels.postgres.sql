-- GET /api/v1/servers?environment=production&role=web&location=par-1&os=debian-12

select *
from "servers"
where "environment" in ($1) and "role" in ($2) and "location" in ($3) and "os" in ($4)
order by "id" asc
limit $5;
-- 1: 'production'
-- 2: 'web'
-- 3: 'par-1'
-- 4: 'debian-12'
-- 5: 101

select count(*) as "count"
from "servers"
where "environment" in ($1) and "role" in ($2) and "location" in ($3) and "os" in ($4);
-- 1: 'production'
-- 2: 'web'
-- 3: 'par-1'
-- 4: 'debian-12'
