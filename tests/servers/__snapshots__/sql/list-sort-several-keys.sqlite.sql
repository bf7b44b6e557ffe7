-- GET /api/v1/servers?sort=-status,environment,-ip

select *
from "servers"
order by "status" desc, coalesce("environment", '') asc, "ip_key" desc, "id" asc
limit ?;
-- 1: 101

select "total"
from "server_counts"
where "scope" = ?;
-- 1: 'all'
