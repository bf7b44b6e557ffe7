-- GET /api/v1/servers

select "id", "hostname", "ip", "status", "environment", "role", "location", "os", "tags", "notes", "managed_by", "custom_fields", "created_at", "updated_at", "last_seen_at", "version", (select "total"
  from "server_counts"
  where "scope" = 'all') as "listing_total"
from "servers"
order by "id" asc
limit ?;
-- 1: 101
