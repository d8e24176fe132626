CREATE TABLE "duplicate_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" text NOT NULL,
	"kept_stripe_subscription_id" text NOT NULL,
	"canceled_stripe_subscription_id" text NOT NULL,
	"canceled_plan" text,
	"amount_owed" integer DEFAULT 0 NOT NULL,
	"currency" text,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"canceled_at" timestamp with time zone,
	"last_error" text,
	"refunded_at" timestamp with time zone,
	CONSTRAINT "duplicate_subscriptions_canceled_stripe_subscription_id_unique" UNIQUE("canceled_stripe_subscription_id")
);
--> statement-breakpoint
CREATE TABLE "operator_bootstrap_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by_user_id" text,
	CONSTRAINT "operator_bootstrap_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "agent_runs" DROP CONSTRAINT "agent_runs_status_valid";--> statement-breakpoint
ALTER TABLE "agent_runs" DROP CONSTRAINT "agent_runs_session_id_agent_sessions_id_fk";
--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "units_reserved" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "units_settled" integer;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "start_attempt" text;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "settled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "release_reason" text;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "review_reason" text;--> statement-breakpoint
-- Data: existing rows are given the lifecycle they had in fact. Hand-written (drizzle-kit can't add NOT
-- NULL columns to filled tables); the plan limits below are the catalog's as of this migration.
ALTER TABLE "users" ADD COLUMN "auth_source" text;--> statement-breakpoint
UPDATE "users" SET "auth_source" = CASE WHEN "password_hash" IS NULL THEN 'host' ELSE 'password' END;--> statement-breakpoint
ALTER TABLE "users" ALTER COLUMN "auth_source" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_periods" ADD COLUMN "run_limit" integer;--> statement-breakpoint
-- The period in force gets its plan's limit; periods that are over record at least what they used.
UPDATE "usage_periods" p SET "run_limit" = CASE
    WHEN s."plan" = 'TRIAL' AND s."status" IN ('trialing', 'active') AND p."period_start" = s."trial_start" THEN 50
    WHEN s."plan" IN ('BASIC', 'PRO', 'ENTERPRISE') AND s."status" IN ('active', 'trialing', 'past_due')
      AND (p."period_start" = s."current_period_start" OR (p."period_start" <= now() AND p."period_end" > now()))
      THEN CASE s."plan" WHEN 'BASIC' THEN 100 WHEN 'PRO' THEN 1000 ELSE coalesce(s."custom_run_limit", 0) END
    WHEN p."period_start" <= now() AND p."period_end" > now() THEN 10
    ELSE greatest(10, p."used")
  END
  FROM "subscriptions" s WHERE s."user_id" = p."user_id";--> statement-breakpoint
UPDATE "usage_periods" SET "run_limit" = greatest(10, "used") WHERE "run_limit" IS NULL;--> statement-breakpoint
ALTER TABLE "usage_periods" ALTER COLUMN "run_limit" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" RENAME COLUMN "created_at" TO "reserved_at";--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "state" text;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "actor_kind" text;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "actor_id" text;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "fingerprint" text;--> statement-breakpoint
-- released stays released; a run whose session reply completed is settled; every other charged run
-- started (its work may have begun). Old rows get a fingerprint no request can produce: the same run
-- id is never accepted again, whoever sends it.
UPDATE "usage_ledger" l SET
    "state" = CASE WHEN l."released_at" IS NOT NULL THEN 'released' WHEN r."status" = 'completed' THEN 'settled' ELSE 'started' END,
    "started_at" = CASE WHEN l."released_at" IS NULL THEN l."reserved_at" END,
    "settled_at" = CASE WHEN l."released_at" IS NULL AND r."status" = 'completed' THEN coalesce(r."finished_at", l."reserved_at") END,
    "units_settled" = CASE WHEN l."released_at" IS NULL AND r."status" = 'completed' THEN 1 END,
    "release_reason" = CASE WHEN l."released_at" IS NOT NULL THEN 'legacy' END,
    "actor_kind" = 'legacy',
    "actor_id" = 'legacy',
    "fingerprint" = 'legacy:' || l."id"
  FROM "usage_ledger" l2 LEFT JOIN "agent_runs" r ON r."user_id" = l2."user_id" AND r."run_id" = l2."run_id"
  WHERE l2."id" = l."id";--> statement-breakpoint
ALTER TABLE "usage_ledger" ALTER COLUMN "state" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" ALTER COLUMN "actor_kind" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" ALTER COLUMN "actor_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" ALTER COLUMN "fingerprint" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "platform_role" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "platform_role_granted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "platform_role_granted_by" text;--> statement-breakpoint
ALTER TABLE "duplicate_subscriptions" ADD CONSTRAINT "duplicate_subscriptions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "duplicate_subscriptions_user_id_idx" ON "duplicate_subscriptions" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE "agent_runs" ADD CONSTRAINT "agent_runs_session_id_agent_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."agent_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "usage_ledger_reserved_at_idx" ON "usage_ledger" USING btree ("reserved_at") WHERE "usage_ledger"."state" = 'reserved';--> statement-breakpoint
ALTER TABLE "agent_runs" ADD CONSTRAINT "agent_runs_status_valid" CHECK ("agent_runs"."status" in ('started', 'completed', 'failed', 'unconfirmed'));--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_state_valid" CHECK ("usage_ledger"."state" in ('reserved', 'started', 'settled', 'released'));--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_actor_kind_valid" CHECK ("usage_ledger"."actor_kind" in ('user', 'service', 'internal', 'legacy'));--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_units_positive" CHECK ("usage_ledger"."units_reserved" > 0);--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_units_settled_valid" CHECK ("usage_ledger"."units_settled" is null or "usage_ledger"."units_settled" >= 0);--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_transitions_consistent" CHECK (("usage_ledger"."state" = 'reserved' and "usage_ledger"."started_at" is null and "usage_ledger"."released_at" is null and "usage_ledger"."settled_at" is null)
        or ("usage_ledger"."state" = 'started' and "usage_ledger"."started_at" is not null and "usage_ledger"."released_at" is null and "usage_ledger"."settled_at" is null)
        or ("usage_ledger"."state" = 'settled' and "usage_ledger"."started_at" is not null and "usage_ledger"."settled_at" is not null and "usage_ledger"."released_at" is null)
        or ("usage_ledger"."state" = 'released' and "usage_ledger"."released_at" is not null and "usage_ledger"."release_reason" is not null and "usage_ledger"."settled_at" is null
          and ("usage_ledger"."started_at" is null or "usage_ledger"."release_reason" = 'backend_not_started')));--> statement-breakpoint
ALTER TABLE "usage_periods" ADD CONSTRAINT "usage_periods_run_limit_non_negative" CHECK ("usage_periods"."run_limit" >= 0);--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_auth_source_valid" CHECK ("users"."auth_source" in ('password', 'host'));--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_platform_role_valid" CHECK ("users"."platform_role" is null or "users"."platform_role" in ('operator'));