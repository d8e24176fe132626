-- An ENTERPRISE deal's run limit now belongs to its subscription (subscriptions.custom_run_limit, set by
-- the sync while the account's subscription is on the deal's price) instead of an account-wide
-- override, which outlived the deal: a canceled or unpaid deal kept its limit on FREE.
-- 1. The limit of the deal each account's subscription is on now.
UPDATE "subscriptions" s SET "custom_run_limit" = d."run_limit"
  FROM "enterprise_deals" d
  WHERE d."account_id" = s."account_id" AND d."stripe_price_id" = s."stripe_price_id" AND s."plan" = 'ENTERPRISE';--> statement-breakpoint
-- 2. The override a deal wrote, cleared with an audit row by the system: only where the last audited
-- change of the account's run limit is that deal's (an operator's later deliberate limit stays, even
-- when it equals an old deal's), and the deal got its subscription. A period already open keeps the
-- limit it was given until it ends (admission reads the period).
WITH "targets" AS (
  SELECT o."account_id", o."run_limit" FROM "account_overrides" o
  WHERE o."run_limit" IS NOT NULL
    AND EXISTS (
      SELECT 1 FROM "enterprise_deals" d
      WHERE d."account_id" = o."account_id" AND d."run_limit" = o."run_limit"
        AND d."stripe_subscription_id" IS NOT NULL)
    AND (
      SELECT a."action" FROM "operator_audit_log" a
      WHERE a."account_id" = o."account_id"
        AND (a."after" ->> 'runLimit') IS DISTINCT FROM (a."before" ->> 'runLimit')
      ORDER BY a."at" DESC, a."id" DESC LIMIT 1) = 'enterprise_deal'
), "cleared" AS (
  UPDATE "account_overrides" o SET "run_limit" = NULL, "updated_at" = now(), "updated_by" = 'system'
  FROM "targets" t WHERE o."account_id" = t."account_id"
  RETURNING t."account_id", t."run_limit"
)
INSERT INTO "operator_audit_log" ("actor_user_id", "actor_role", "action", "account_id", "before", "after", "reason")
  SELECT 'system', 'cli', 'set_run_limit', c."account_id",
    jsonb_build_object('runLimit', c."run_limit"), jsonb_build_object('runLimit', null),
    'migration 0013: an ENTERPRISE deal''s run limit now ends with its subscription'
  FROM "cleared" c;
