ALTER TABLE "usage_periods" ADD CONSTRAINT "usage_periods_user_id_id_unique" UNIQUE("user_id","id");--> statement-breakpoint
ALTER TABLE "usage_ledger" DROP CONSTRAINT "usage_ledger_user_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "usage_ledger" DROP CONSTRAINT "usage_ledger_period_id_usage_periods_id_fk";
--> statement-breakpoint
ALTER TABLE "usage_ledger" ADD CONSTRAINT "usage_ledger_period_fk" FOREIGN KEY ("user_id","period_id") REFERENCES "public"."usage_periods"("user_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
