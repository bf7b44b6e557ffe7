-- The claim of up to 8 due deliveries, one per subscription

update "webhook_deliveries" set "lease_owner" = $1, "lease_expires_at" = $2
where "id" in (select "d"."id"
  from "webhook_deliveries" as "d"
  where "d"."id" in (select (select "e"."id"
      from "webhook_deliveries" as "e"
      where "e"."webhook_id" = "w"."id" and "e"."status" = $3 and "e"."next_attempt_at" <= $4
      order by coalesce("e"."seq", 0), "e"."id"
      limit $5) as "first_due"
    from "webhooks" as "w"
    where "w"."active" = $6 and not exists (select 1 as "one"
      from "webhook_deliveries" as "f"
      where "f"."webhook_id" = "w"."id" and "f"."status" = $7 and "f"."lease_expires_at" > $8)) and "d"."status" = $9 and "d"."next_attempt_at" <= $10 and ("d"."lease_expires_at" is null or "d"."lease_expires_at" <= $11)
  order by "d"."next_attempt_at", "d"."id"
  limit $12 for update skip locked)
returning *;
-- 1: 'host:1234:0a1b2c3d'
-- 2: '2026-06-01T10:00:45.000Z'
-- 3: 'pending'
-- 4: '2026-06-01T10:00:00.000Z'
-- 5: 1
-- 6: 1
-- 7: 'pending'
-- 8: '2026-06-01T10:00:00.000Z'
-- 9: 'pending'
-- 10: '2026-06-01T10:00:00.000Z'
-- 11: '2026-06-01T10:00:00.000Z'
-- 12: 8
