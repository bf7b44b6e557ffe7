-- GET /api/v1/servers?hostname=WEB-1

select *
from "servers"
where "hostname" in (?)
order by "id" asc
limit ?;
-- 1: 'web-1'
-- 2: 101

select count(*) as "count"
from "servers"
where "hostname" in (?);
-- 1: 'web-1'
