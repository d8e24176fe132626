CREATE TABLE "credit_grants" (
	"account_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"pack_id" text,
	"units" integer NOT NULL,
	"remaining" integer NOT NULL,
	"priority" integer DEFAULT 100 NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"expired_units" integer DEFAULT 0 NOT NULL,
	"clawback_units" integer DEFAULT 0 NOT NULL,
	"clawed_back_units" integer DEFAULT 0 NOT NULL,
	"checkout_session_id" text,
	"payment_intent_id" text,
	"amount_paid_cents" integer,
	"amount_refunded_cents" integer DEFAULT 0 NOT NULL,
	"currency" text,
	"granted_by" text,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "credit_grants_pkey" PRIMARY KEY("account_id","id"),
	CONSTRAINT "credit_grants_account_id_checkout_session_id_unique" UNIQUE("account_id","checkout_session_id"),
	CONSTRAINT "credit_grants_source_valid" CHECK ("credit_grants"."source" in ('pack', 'operator')),
	CONSTRAINT "credit_grants_units_positive" CHECK ("credit_grants"."units" > 0),
	CONSTRAINT "credit_grants_parts_valid" CHECK ("credit_grants"."remaining" >= 0 and "credit_grants"."expired_units" >= 0 and "credit_grants"."clawed_back_units" >= 0
        and "credit_grants"."remaining" + "credit_grants"."expired_units" + "credit_grants"."clawed_back_units" <= "credit_grants"."units"),
	CONSTRAINT "credit_grants_clawback_valid" CHECK ("credit_grants"."clawed_back_units" <= "credit_grants"."clawback_units" and "credit_grants"."clawback_units" <= "credit_grants"."units"),
	CONSTRAINT "credit_grants_window_valid" CHECK ("credit_grants"."expires_at" is null or "credit_grants"."expires_at" > "credit_grants"."starts_at"),
	CONSTRAINT "credit_grants_pack_paid" CHECK ("credit_grants"."source" <> 'pack' or ("credit_grants"."pack_id" is not null and "credit_grants"."checkout_session_id" is not null
        and "credit_grants"."amount_paid_cents" > 0))
);
--> statement-breakpoint
CREATE TABLE "run_draws" (
	"account_id" uuid NOT NULL,
	"run_id" text NOT NULL,
	"grant_id" uuid NOT NULL,
	"units" integer NOT NULL,
	CONSTRAINT "run_draws_pkey" PRIMARY KEY("account_id","run_id","grant_id"),
	CONSTRAINT "run_draws_units_non_negative" CHECK ("run_draws"."units" >= 0)
);
--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "units_actual" integer;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD COLUMN "units_from_allowance" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "credit_grants" ADD CONSTRAINT "credit_grants_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_draws" ADD CONSTRAINT "run_draws_grant_fk" FOREIGN KEY ("account_id","grant_id") REFERENCES "public"."credit_grants"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_draws" ADD CONSTRAINT "run_draws_run_fk" FOREIGN KEY ("account_id","run_id") REFERENCES "public"."usage_ledger"("account_id","run_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "credit_grants_spendable_idx" ON "credit_grants" USING btree ("account_id") WHERE "credit_grants"."remaining" > 0;--> statement-breakpoint
CREATE INDEX "credit_grants_payment_intent_id_idx" ON "credit_grants" USING btree ("payment_intent_id") WHERE "credit_grants"."payment_intent_id" is not null;--> statement-breakpoint
CREATE INDEX "credit_grants_expires_at_idx" ON "credit_grants" USING btree ("expires_at") WHERE "credit_grants"."remaining" > 0 and "credit_grants"."expires_at" is not null;--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_units_from_allowance_valid" CHECK ("usage_ledger"."units_from_allowance" >= 0);--> statement-breakpoint
-- Runs reserved before credits existed held their units from the allowance alone.
UPDATE "usage_ledger" SET "units_from_allowance" = CASE "state"
	WHEN 'released' THEN 0
	WHEN 'settled' THEN coalesce("units_settled", "units_reserved")
	ELSE "units_reserved" END;
