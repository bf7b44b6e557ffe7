-- The claim of up to 8 due deliveries, one per subscription

update "webhook_deliveries" set "lease_owner" = $1, "lease_expires_at" = $2
where "id" in (select "d"."id"
  from "webhooks" as "w" cross join "webhook_deliveries" as "d"
  where "w"."active" = $3 and not exists (select 1 as "one"
    from "webhook_deliveries" as "f"
    where "f"."webhook_id" = "w"."id" and "f"."lease_expires_at" > $4 and "f"."status" = 'pending') and "d"."id" = (select "e"."id"
    from "webhook_deliveries" as "e"
    where "e"."webhook_id" = "w"."id" and "e"."status" = 'pending' and ("e"."next_attempt_at" <= $5 or "e"."attempts" = $6)
    order by "e"."seq" asc nulls first, "e"."id"
    limit $7) and "d"."status" = $8 and "d"."next_attempt_at" <= $9 and ("d"."lease_expires_at" is null or "d"."lease_expires_at" <= $10)
  order by "d"."next_attempt_at", "d"."id"
  limit $11 for update of "d" skip locked)
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
