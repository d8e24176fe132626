-- Billing accounts (issue 15): the tenant becomes the account. Every user gets a personal account whose
-- id is derived from the user id (personal_account_id, the same rule as personalAccountId in
-- packages/db/src/personal-account-id.ts) and whose created_at is the instant FREE periods were anchored
-- on (the user's subscription row, else the user), so no period moves. Then every tenant table gets
-- account_id, filled from its user, and keys led by it.
CREATE FUNCTION "personal_account_id"("user_id" text) RETURNS uuid
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN (
		SELECT (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-8' || substr(h, 14, 3) || '-'
			|| substr('89ab89ab89ab89ab', strpos('0123456789abcdef', substr(h, 17, 1)), 1)
			|| substr(h, 18, 3) || '-' || substr(h, 21, 12))::uuid
		FROM (SELECT encode(sha256(convert_to('tollgate:personal-account:' || "user_id", 'UTF8')), 'hex') AS h) AS hashed
	);--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text,
	"personal_user_id" text,
	"created_by_user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_personal_user_id_unique" UNIQUE("personal_user_id"),
	CONSTRAINT "accounts_kind_valid" CHECK ("accounts"."kind" in ('personal', 'team')),
	CONSTRAINT "accounts_personal_has_user" CHECK (("accounts"."kind" = 'personal') = ("accounts"."personal_user_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "account_memberships" (
	"account_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "account_memberships_pkey" PRIMARY KEY("account_id","user_id"),
	CONSTRAINT "account_memberships_role_valid" CHECK ("account_memberships"."role" in ('owner', 'admin', 'member'))
);
--> statement-breakpoint
ALTER TABLE "account_memberships" ADD CONSTRAINT "account_memberships_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_memberships" ADD CONSTRAINT "account_memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_personal_user_id_users_id_fk" FOREIGN KEY ("personal_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_memberships_user_id_idx" ON "account_memberships" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "accounts_created_by_user_id_created_at_idx" ON "accounts" USING btree ("created_by_user_id","created_at");--> statement-breakpoint
INSERT INTO "accounts" ("id", "kind", "personal_user_id", "created_by_user_id", "created_at")
	SELECT personal_account_id(u."id"), 'personal', u."id", u."id", coalesce(s."created_at", u."created_at")
	FROM "users" u LEFT JOIN "subscriptions" s ON s."user_id" = u."id";--> statement-breakpoint
INSERT INTO "account_memberships" ("account_id", "user_id", "role", "created_at")
	SELECT "id", "personal_user_id", 'owner', "created_at" FROM "accounts";--> statement-breakpoint
ALTER TABLE "agent_runs" DROP CONSTRAINT "agent_runs_user_id_run_id_unique";--> statement-breakpoint
ALTER TABLE "usage_ledger" DROP CONSTRAINT "usage_ledger_user_id_run_id_unique";--> statement-breakpoint
ALTER TABLE "usage_periods" DROP CONSTRAINT "usage_periods_user_id_period_start_unique";--> statement-breakpoint
ALTER TABLE "agent_runs" DROP CONSTRAINT "agent_runs_session_id_agent_sessions_id_fk";--> statement-breakpoint
ALTER TABLE "usage_ledger" DROP CONSTRAINT "usage_ledger_period_fk";--> statement-breakpoint
ALTER TABLE "usage_periods" DROP CONSTRAINT "usage_periods_user_id_id_unique";--> statement-breakpoint
DROP INDEX "agent_runs_session_id_created_at_idx";--> statement-breakpoint
DROP INDEX "agent_sessions_user_id_created_at_idx";--> statement-breakpoint
DROP INDEX "duplicate_subscriptions_user_id_idx";--> statement-breakpoint
ALTER TABLE "agent_runs" DROP CONSTRAINT "agent_runs_pkey";--> statement-breakpoint
ALTER TABLE "agent_sessions" DROP CONSTRAINT "agent_sessions_pkey";--> statement-breakpoint
ALTER TABLE "duplicate_subscriptions" DROP CONSTRAINT "duplicate_subscriptions_pkey";--> statement-breakpoint
ALTER TABLE "subscriptions" DROP CONSTRAINT "subscriptions_pkey";--> statement-breakpoint
ALTER TABLE "usage_ledger" DROP CONSTRAINT "usage_ledger_pkey";--> statement-breakpoint
ALTER TABLE "usage_periods" DROP CONSTRAINT "usage_periods_pkey";--> statement-breakpoint
ALTER TABLE "agent_runs" ADD COLUMN "account_id" uuid;--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD COLUMN "account_id" uuid;--> statement-breakpoint
ALTER TABLE "duplicate_subscriptions" ADD COLUMN "account_id" uuid;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "account_id" uuid;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "account_id" uuid;--> statement-breakpoint
ALTER TABLE "usage_periods" ADD COLUMN "account_id" uuid;--> statement-breakpoint
UPDATE "agent_runs" SET "account_id" = personal_account_id("user_id");--> statement-breakpoint
UPDATE "agent_sessions" SET "account_id" = personal_account_id("user_id");--> statement-breakpoint
UPDATE "duplicate_subscriptions" SET "account_id" = personal_account_id("user_id");--> statement-breakpoint
UPDATE "subscriptions" SET "account_id" = personal_account_id("user_id");--> statement-breakpoint
UPDATE "usage_ledger" SET "account_id" = personal_account_id("user_id");--> statement-breakpoint
UPDATE "usage_periods" SET "account_id" = personal_account_id("user_id");--> statement-breakpoint
ALTER TABLE "agent_runs" ALTER COLUMN "account_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_sessions" ALTER COLUMN "account_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "duplicate_subscriptions" ALTER COLUMN "account_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "subscriptions" ALTER COLUMN "account_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_ledger" ALTER COLUMN "account_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_periods" ALTER COLUMN "account_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "duplicate_subscriptions" DROP CONSTRAINT "duplicate_subscriptions_user_id_users_id_fk";--> statement-breakpoint
ALTER TABLE "subscriptions" DROP CONSTRAINT "subscriptions_user_id_users_id_fk";--> statement-breakpoint
ALTER TABLE "usage_periods" DROP CONSTRAINT "usage_periods_user_id_users_id_fk";--> statement-breakpoint
ALTER TABLE "duplicate_subscriptions" DROP COLUMN "user_id";--> statement-breakpoint
ALTER TABLE "subscriptions" DROP COLUMN "user_id";--> statement-breakpoint
ALTER TABLE "usage_periods" DROP COLUMN "user_id";--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_pkey" PRIMARY KEY("account_id");--> statement-breakpoint
ALTER TABLE "usage_periods" ADD CONSTRAINT "usage_periods_pkey" PRIMARY KEY("account_id","id");--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_pkey" PRIMARY KEY("account_id","id");--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD CONSTRAINT "agent_sessions_pkey" PRIMARY KEY("account_id","id");--> statement-breakpoint
ALTER TABLE "agent_runs" ADD CONSTRAINT "agent_runs_pkey" PRIMARY KEY("account_id","id");--> statement-breakpoint
ALTER TABLE "duplicate_subscriptions" ADD CONSTRAINT "duplicate_subscriptions_pkey" PRIMARY KEY("account_id","id");--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_periods" ADD CONSTRAINT "usage_periods_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_sessions" ADD CONSTRAINT "agent_sessions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duplicate_subscriptions" ADD CONSTRAINT "duplicate_subscriptions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_period_fk" FOREIGN KEY ("account_id","period_id") REFERENCES "public"."usage_periods"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_runs" ADD CONSTRAINT "agent_runs_session_fk" FOREIGN KEY ("account_id","session_id") REFERENCES "public"."agent_sessions"("account_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_runs" ADD CONSTRAINT "agent_runs_account_id_run_id_unique" UNIQUE("account_id","run_id");--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_account_id_run_id_unique" UNIQUE("account_id","run_id");--> statement-breakpoint
ALTER TABLE "usage_periods" ADD CONSTRAINT "usage_periods_account_id_period_start_unique" UNIQUE("account_id","period_start");--> statement-breakpoint
CREATE INDEX "agent_runs_account_id_session_id_created_at_idx" ON "agent_runs" USING btree ("account_id","session_id","created_at");--> statement-breakpoint
CREATE INDEX "agent_sessions_account_id_user_id_created_at_idx" ON "agent_sessions" USING btree ("account_id","user_id","created_at");--> statement-breakpoint
CREATE INDEX "duplicate_subscriptions_account_id_idx" ON "duplicate_subscriptions" USING btree ("account_id");--> statement-breakpoint
CREATE TABLE "account_invitations" (
	"account_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"invited_by_user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"accepted_at" timestamp with time zone,
	"accepted_by_user_id" text,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "account_invitations_pkey" PRIMARY KEY("account_id","id"),
	CONSTRAINT "account_invitations_role_valid" CHECK ("account_invitations"."role" in ('admin', 'member')),
	CONSTRAINT "account_invitations_email_lowercase" CHECK ("account_invitations"."email" = lower("account_invitations"."email"))
);
--> statement-breakpoint
CREATE TABLE "member_usage_periods" (
	"account_id" uuid NOT NULL,
	"period_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"used" integer DEFAULT 0 NOT NULL,
	"run_cap" integer,
	CONSTRAINT "member_usage_periods_pkey" PRIMARY KEY("account_id","period_id","user_id"),
	CONSTRAINT "member_usage_periods_used_non_negative" CHECK ("member_usage_periods"."used" >= 0),
	CONSTRAINT "member_usage_periods_cap_non_negative" CHECK ("member_usage_periods"."run_cap" is null or "member_usage_periods"."run_cap" >= 0)
);
--> statement-breakpoint
ALTER TABLE "account_memberships" ADD COLUMN "monthly_run_cap" integer;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "host_org_id" text;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "membership_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "seat_sync_error" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "account_id" uuid;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "stripe_quantity" integer;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "trial_used_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "account_invitations" ADD CONSTRAINT "account_invitations_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_invitations" ADD CONSTRAINT "account_invitations_invited_by_user_id_users_id_fk" FOREIGN KEY ("invited_by_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_invitations" ADD CONSTRAINT "account_invitations_accepted_by_user_id_users_id_fk" FOREIGN KEY ("accepted_by_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_usage_periods" ADD CONSTRAINT "member_usage_periods_period_fk" FOREIGN KEY ("account_id","period_id") REFERENCES "public"."usage_periods"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "account_invitations_pending_email_unique" ON "account_invitations" USING btree ("account_id","email") WHERE "account_invitations"."accepted_at" is null and "account_invitations"."revoked_at" is null;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_account_id_idx" ON "api_keys" USING btree ("account_id");--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_host_org_id_unique" UNIQUE("host_org_id");--> statement-breakpoint
ALTER TABLE "account_memberships" ADD CONSTRAINT "account_memberships_cap_non_negative" CHECK ("account_memberships"."monthly_run_cap" is null or "account_memberships"."monthly_run_cap" >= 0);--> statement-breakpoint
-- The trial is once per person: a user who started one on its personal account has used it.
UPDATE "users" u SET "trial_used_at" = s."trial_used_at"
	FROM "subscriptions" s WHERE s."account_id" = personal_account_id(u."id") AND s."trial_used_at" IS NOT NULL;
