-- Overage is admitted only while the stored subscription carries the metered item. Null for everyone
-- at first: the server's overage item pass checks each account with overage on at Stripe, records the
-- item, and adds it where a resubscribe left it out (so overage resumes within one pass).
ALTER TABLE "subscriptions" ADD COLUMN "overage_item_subscription_id" text;
