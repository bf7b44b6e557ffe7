-- The claim of up to 8 due deliveries, one per subscription

update "webhook_deliveries" set "lease_owner" = ?, "lease_expires_at" = ?
where "id" in (select "d"."id"
  from "webhooks" as "w" cross join "webhook_deliveries" as "d"
  where "w"."active" = ? and not exists (select 1 as "one"
    from "webhook_deliveries" as "f"
    where "f"."webhook_id" = "w"."id" and "f"."lease_expires_at" > ? and "f"."status" = 'pending') and "d"."id" = (select "e"."id"
    from "webhook_deliveries" as "e"
    where "e"."webhook_id" = "w"."id" and "e"."status" = 'pending' and ("e"."next_attempt_at" <= ? or "e"."attempts" = ?)
    order by "e"."seq" asc nulls first, "e"."id"
    limit ?) and "d"."status" = ? and "d"."next_attempt_at" <= ? and ("d"."lease_expires_at" is null or "d"."lease_expires_at" <= ?)
  order by "d"."next_attempt_at", "d"."id"
  limit ?)
returning *;
-- 1: 'host:1234:0a1b2c3d'
-- 2: '2026-06-01T10:00:45.000Z'
-- 3: 1
-- 4: '2026-06-01T10:00:00.000Z'
-- 5: '2026-06-01T10:00:00.000Z'
-- 6: 0
-- 7: 1
-- 8: 'pending'
-- 9: '2026-06-01T10:00:00.000Z'
-- 10: '2026-06-01T10:00:00.000Z'
-- 11: 8
