-- GET /api/v1/servers?q=50%25_full

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version"
from "servers"
where (lower("hostname") like lower($1) escape '\' or lower(coalesce("notes", '')) like lower($2) escape '\')
order by "id" asc
limit $3;
-- 1: '%50\%\_full%'
-- 2: '%50\%\_full%'
-- 3: 101

select count(*) as "count"
from "servers"
where (lower("hostname") like lower($1) escape '\' or lower(coalesce("notes", '')) like lower($2) escape '\');
-- 1: '%50\%\_full%'
-- 2: '%50\%\_full%'
