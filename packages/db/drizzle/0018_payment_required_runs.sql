CREATE TABLE "payment_required_runs" (
	"account_id" uuid NOT NULL,
	"day" date NOT NULL,
	"run_id" text NOT NULL,
	CONSTRAINT "payment_required_runs_pkey" PRIMARY KEY("account_id","day","run_id")
);
--> statement-breakpoint
ALTER TABLE "payment_required_runs" ADD CONSTRAINT "payment_required_runs_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;