CREATE TABLE "early_payment_takebacks" (
	"payment_intent_id" text PRIMARY KEY NOT NULL,
	"amount_refunded_cents" integer DEFAULT 0 NOT NULL,
	"amount_disputed_cents" integer DEFAULT 0 NOT NULL,
	"amount_dispute_won_cents" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "early_payment_takebacks_amounts_valid" CHECK ("early_payment_takebacks"."amount_refunded_cents" >= 0 and "early_payment_takebacks"."amount_disputed_cents" >= 0 and "early_payment_takebacks"."amount_dispute_won_cents" >= 0)
);
