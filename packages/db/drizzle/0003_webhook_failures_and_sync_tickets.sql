CREATE SEQUENCE "public"."subscription_sync_tickets" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
ALTER TABLE "stripe_events" ADD COLUMN "failure_code" text;--> statement-breakpoint
ALTER TABLE "stripe_events" ADD COLUMN "failure_reason" text;--> statement-breakpoint
ALTER TABLE "stripe_events" ADD COLUMN "replayed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "stripe_sync_ticket" bigint;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "deleted_stripe_customer_id" text;--> statement-breakpoint
CREATE INDEX "stripe_events_failed_idx" ON "stripe_events" USING btree ("received_at") WHERE "stripe_events"."failure_code" is not null;