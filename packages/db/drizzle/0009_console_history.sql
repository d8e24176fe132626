CREATE TABLE "enterprise_deals" (
	"account_id" uuid NOT NULL,
	"stripe_price_id" text NOT NULL,
	"price_cents" integer NOT NULL,
	"interval" text NOT NULL,
	"run_limit" integer NOT NULL,
	"collection" text NOT NULL,
	"days_until_due" integer,
	"stripe_subscription_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	CONSTRAINT "enterprise_deals_pkey" PRIMARY KEY("account_id","stripe_price_id"),
	CONSTRAINT "enterprise_deals_interval_valid" CHECK ("enterprise_deals"."interval" in ('month', 'year')),
	CONSTRAINT "enterprise_deals_collection_valid" CHECK ("enterprise_deals"."collection" in ('charge_automatically', 'send_invoice')
        and ("enterprise_deals"."collection" = 'send_invoice') = ("enterprise_deals"."days_until_due" is not null)),
	CONSTRAINT "enterprise_deals_amounts_valid" CHECK ("enterprise_deals"."price_cents" > 0 and "enterprise_deals"."run_limit" > 0)
);
--> statement-breakpoint
CREATE TABLE "payment_required_days" (
	"account_id" uuid NOT NULL,
	"day" date NOT NULL,
	"plan" text NOT NULL,
	"code" text NOT NULL,
	"denials" integer NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payment_required_days_pkey" PRIMARY KEY("account_id","day","plan","code"),
	CONSTRAINT "payment_required_days_denials_positive" CHECK ("payment_required_days"."denials" > 0)
);
--> statement-breakpoint
CREATE TABLE "subscription_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"stripe_subscription_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"plan" text NOT NULL,
	"price_cents" integer NOT NULL,
	"interval" text NOT NULL,
	"quantity" integer NOT NULL,
	"discount_cents" integer DEFAULT 0 NOT NULL,
	"source" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscription_history_instant_unique" UNIQUE("account_id","stripe_subscription_id","at"),
	CONSTRAINT "subscription_history_interval_valid" CHECK ("subscription_history"."interval" in ('month', 'year')),
	CONSTRAINT "subscription_history_amounts_valid" CHECK ("subscription_history"."price_cents" >= 0 and "subscription_history"."quantity" >= 0 and "subscription_history"."discount_cents" >= 0),
	CONSTRAINT "subscription_history_source_valid" CHECK ("subscription_history"."source" in ('webhook', 'reconcile', 'backfill'))
);
--> statement-breakpoint
ALTER TABLE "stripe_events" ADD COLUMN "account_id" uuid;--> statement-breakpoint
ALTER TABLE "enterprise_deals" ADD CONSTRAINT "enterprise_deals_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_required_days" ADD CONSTRAINT "payment_required_days_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscription_history" ADD CONSTRAINT "subscription_history_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "subscription_history_at_idx" ON "subscription_history" USING btree ("at");--> statement-breakpoint
CREATE INDEX "stripe_events_account_idx" ON "stripe_events" USING btree ("account_id","stripe_created_at") WHERE "stripe_events"."account_id" is not null;