CREATE TABLE "account_spend_settings" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"overage_enabled" boolean DEFAULT false NOT NULL,
	"cap_cents" integer,
	"cap_runs" integer,
	"operator_cap_cents" integer,
	"operator_cap_runs" integer,
	"auto_top_up_enabled" boolean DEFAULT false NOT NULL,
	"auto_top_up_threshold" integer,
	"auto_top_up_pack_id" text,
	"auto_top_up_monthly_limit" integer,
	"auto_top_up_backoff_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "account_spend_settings_one_cap" CHECK ("account_spend_settings"."cap_cents" is null or "account_spend_settings"."cap_runs" is null),
	CONSTRAINT "account_spend_settings_one_operator_cap" CHECK ("account_spend_settings"."operator_cap_cents" is null or "account_spend_settings"."operator_cap_runs" is null),
	CONSTRAINT "account_spend_settings_caps_non_negative" CHECK (coalesce("account_spend_settings"."cap_cents", 0) >= 0 and coalesce("account_spend_settings"."cap_runs", 0) >= 0
        and coalesce("account_spend_settings"."operator_cap_cents", 0) >= 0 and coalesce("account_spend_settings"."operator_cap_runs", 0) >= 0),
	CONSTRAINT "account_spend_settings_auto_top_up_complete" CHECK (not "account_spend_settings"."auto_top_up_enabled" or ("account_spend_settings"."auto_top_up_threshold" > 0 and "account_spend_settings"."auto_top_up_pack_id" is not null
        and "account_spend_settings"."auto_top_up_monthly_limit" > 0))
);
--> statement-breakpoint
CREATE TABLE "auto_top_ups" (
	"account_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"pack_id" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"payment_intent_id" text,
	"failure_code" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "auto_top_ups_pkey" PRIMARY KEY("account_id","id"),
	CONSTRAINT "auto_top_ups_status_valid" CHECK ("auto_top_ups"."status" in ('pending', 'succeeded', 'declined', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "meter_batches" (
	"account_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"period_id" uuid NOT NULL,
	"kind" text DEFAULT 'usage' NOT NULL,
	"value" integer NOT NULL,
	"stripe_customer_id" text NOT NULL,
	"event_name" text NOT NULL,
	"event_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "meter_batches_pkey" PRIMARY KEY("account_id","id"),
	CONSTRAINT "meter_batches_value_positive" CHECK ("meter_batches"."value" > 0),
	CONSTRAINT "meter_batches_status_valid" CHECK ("meter_batches"."status" in ('pending', 'delivered', 'abandoned', 'canceled')),
	CONSTRAINT "meter_batches_kind_valid" CHECK ("meter_batches"."kind" in ('usage', 'repair'))
);
--> statement-breakpoint
CREATE TABLE "overage_entries" (
	"account_id" uuid NOT NULL,
	"id" bigserial NOT NULL,
	"run_id" text NOT NULL,
	"period_id" uuid NOT NULL,
	"units" integer NOT NULL,
	"batch_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "overage_entries_pkey" PRIMARY KEY("account_id","id"),
	CONSTRAINT "overage_entries_units_non_zero" CHECK ("overage_entries"."units" <> 0)
);
--> statement-breakpoint
ALTER TABLE "credit_grants" DROP CONSTRAINT "credit_grants_pack_paid";--> statement-breakpoint
ALTER TABLE "credit_grants" ADD COLUMN "auto_top_up_id" uuid;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "units_overage" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_periods" ADD COLUMN "overage_used" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "account_spend_settings" ADD CONSTRAINT "account_spend_settings_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "auto_top_ups" ADD CONSTRAINT "auto_top_ups_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meter_batches" ADD CONSTRAINT "meter_batches_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overage_entries" ADD CONSTRAINT "overage_entries_run_fk" FOREIGN KEY ("account_id","run_id") REFERENCES "public"."usage_ledger"("account_id","run_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "auto_top_ups_one_pending" ON "auto_top_ups" USING btree ("account_id") WHERE "auto_top_ups"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "auto_top_ups_account_created_idx" ON "auto_top_ups" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "meter_batches_pending_idx" ON "meter_batches" USING btree ("next_attempt_at") WHERE "meter_batches"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "meter_batches_period_idx" ON "meter_batches" USING btree ("account_id","period_id");--> statement-breakpoint
CREATE INDEX "overage_entries_unbatched_idx" ON "overage_entries" USING btree ("account_id","period_id") WHERE "overage_entries"."batch_id" is null;--> statement-breakpoint
CREATE INDEX "overage_entries_batch_idx" ON "overage_entries" USING btree ("account_id","batch_id");--> statement-breakpoint
ALTER TABLE "credit_grants" ADD CONSTRAINT "credit_grants_account_id_auto_top_up_id_unique" UNIQUE("account_id","auto_top_up_id");--> statement-breakpoint
ALTER TABLE "credit_grants" ADD CONSTRAINT "credit_grants_pack_paid" CHECK ("credit_grants"."source" <> 'pack' or ("credit_grants"."pack_id" is not null
        and ("credit_grants"."checkout_session_id" is not null or "credit_grants"."auto_top_up_id" is not null) and "credit_grants"."amount_paid_cents" > 0));--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_units_overage_valid" CHECK ("usage_ledger"."units_overage" >= 0);--> statement-breakpoint
ALTER TABLE "usage_periods" ADD CONSTRAINT "usage_periods_overage_used_non_negative" CHECK ("usage_periods"."overage_used" >= 0);--> statement-breakpoint
-- The overage journal is written by the database: every change to what a started (or settled) run holds
-- as overage appends the difference, in the transaction that made it, whatever code path made it.
CREATE FUNCTION "journal_overage"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  before_units integer := CASE WHEN OLD.state IN ('started', 'settled') THEN OLD.units_overage ELSE 0 END;
  after_units integer := CASE WHEN NEW.state IN ('started', 'settled') THEN NEW.units_overage ELSE 0 END;
BEGIN
  IF after_units <> before_units THEN
    INSERT INTO overage_entries (account_id, run_id, period_id, units)
    VALUES (NEW.account_id, NEW.run_id, NEW.period_id, after_units - before_units);
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "usage_ledger_journal_overage" AFTER UPDATE OF "state", "units_overage" ON "usage_ledger"
FOR EACH ROW EXECUTE FUNCTION "journal_overage"();
