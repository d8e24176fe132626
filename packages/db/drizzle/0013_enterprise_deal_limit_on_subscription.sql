-- An ENTERPRISE deal's run limit now belongs to its subscription (subscriptions.custom_run_limit, set by
-- the sync while the account's subscription is on the deal's price) instead of an account-wide
-- override, which outlived the deal: a canceled or unpaid deal kept its limit on FREE.
-- 1. The limit of the deal each account's subscription is on now.
UPDATE "subscriptions" s SET "custom_run_limit" = d."run_limit"
  FROM "enterprise_deals" d
  WHERE d."account_id" = s."account_id" AND d."stripe_price_id" = s."stripe_price_id" AND s."plan" = 'ENTERPRISE';--> statement-breakpoint
-- 2. The override a deal wrote (equal to one of the account's deals' limits), audited as the system's
-- change. A period already open keeps the limit it was given until it ends (admission reads the period).
INSERT INTO "operator_audit_log" ("actor_user_id", "actor_role", "action", "account_id", "before", "after", "reason")
  SELECT 'system', 'cli', 'set_run_limit', o."account_id",
    jsonb_build_object('runLimit', o."run_limit"), jsonb_build_object('runLimit', null),
    'migration 0013: an ENTERPRISE deal''s run limit now ends with its subscription'
  FROM "account_overrides" o
  WHERE o."run_limit" IS NOT NULL AND EXISTS (
    SELECT 1 FROM "enterprise_deals" d WHERE d."account_id" = o."account_id" AND d."run_limit" = o."run_limit");--> statement-breakpoint
UPDATE "account_overrides" o SET "run_limit" = NULL, "updated_at" = now()
  WHERE o."run_limit" IS NOT NULL AND EXISTS (
    SELECT 1 FROM "enterprise_deals" d WHERE d."account_id" = o."account_id" AND d."run_limit" = o."run_limit");
