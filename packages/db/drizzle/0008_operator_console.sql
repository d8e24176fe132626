CREATE TABLE "account_overrides" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"run_limit" integer,
	"comp_plan" text,
	"comp_from" timestamp with time zone,
	"comp_until" timestamp with time zone,
	"trial_start" timestamp with time zone,
	"trial_end" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL,
	CONSTRAINT "account_overrides_run_limit_valid" CHECK ("account_overrides"."run_limit" is null or "account_overrides"."run_limit" >= 0),
	CONSTRAINT "account_overrides_comp_valid" CHECK (("account_overrides"."comp_plan" is null) = ("account_overrides"."comp_until" is null) and ("account_overrides"."comp_plan" is null) = ("account_overrides"."comp_from" is null)
        and ("account_overrides"."comp_plan" is null or ("account_overrides"."comp_plan" in ('BASIC', 'PRO', 'TEAM') and "account_overrides"."comp_until" > "account_overrides"."comp_from"))),
	CONSTRAINT "account_overrides_trial_valid" CHECK (("account_overrides"."trial_start" is null) = ("account_overrides"."trial_end" is null)
        and ("account_overrides"."trial_end" is null or "account_overrides"."trial_end" > "account_overrides"."trial_start"))
);
--> statement-breakpoint
CREATE TABLE "operator_audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_user_id" text NOT NULL,
	"actor_role" text NOT NULL,
	"action" text NOT NULL,
	"account_id" uuid,
	"before" jsonb,
	"after" jsonb,
	"reason" text NOT NULL,
	"request_id" text
);
--> statement-breakpoint
ALTER TABLE "users" DROP CONSTRAINT "users_platform_role_valid";--> statement-breakpoint
ALTER TABLE "account_overrides" ADD CONSTRAINT "account_overrides_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "operator_audit_log_account_idx" ON "operator_audit_log" USING btree ("account_id","at");--> statement-breakpoint
CREATE INDEX "operator_audit_log_at_idx" ON "operator_audit_log" USING btree ("at");--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_platform_role_valid" CHECK ("users"."platform_role" is null or "users"."platform_role" in ('operator', 'support'));--> statement-breakpoint
-- The audit log is append-only: the database refuses to change or remove a row, whoever asks (test
-- resets bypass these with session_replication_role = replica, which only a superuser may set).
CREATE FUNCTION "refuse_audit_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'operator_audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;--> statement-breakpoint
CREATE TRIGGER "operator_audit_log_no_update_delete" BEFORE UPDATE OR DELETE ON "operator_audit_log"
FOR EACH ROW EXECUTE FUNCTION "refuse_audit_change"();--> statement-breakpoint
CREATE TRIGGER "operator_audit_log_no_truncate" BEFORE TRUNCATE ON "operator_audit_log"
FOR EACH STATEMENT EXECUTE FUNCTION "refuse_audit_change"();
