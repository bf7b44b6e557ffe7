-- GET /api/v1/servers?q=50%25_full

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where (lower("hostname") like lower(?) escape '\' or lower(coalesce("notes", '')) like lower(?) escape '\')
order by "id" asc
limit ?;
-- 1: '%50\%\_full%'
-- 2: '%50\%\_full%'
-- 3: 101

select count(*) as "count"
from "servers"
where (lower("hostname") like lower(?) escape '\' or lower(coalesce("notes", '')) like lower(?) escape '\');
-- 1: '%50\%\_full%'
-- 2: '%50\%\_full%'
