CREATE TABLE "removed_member_caps" (
	"account_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"monthly_run_cap" integer NOT NULL,
	"removed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "removed_member_caps_pkey" PRIMARY KEY("account_id","user_id"),
	CONSTRAINT "removed_member_caps_cap_non_negative" CHECK ("removed_member_caps"."monthly_run_cap" >= 0)
);
--> statement-breakpoint
ALTER TABLE "removed_member_caps" ADD CONSTRAINT "removed_member_caps_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "removed_member_caps" ADD CONSTRAINT "removed_member_caps_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Members removed before this table existed keep the cap their newest counter row carried (what
-- re-adding them restored until now), unless they are members again.
INSERT INTO "removed_member_caps" ("account_id", "user_id", "monthly_run_cap", "removed_at")
SELECT newest.account_id, newest.user_id, newest.run_cap, now()
FROM (
  SELECT DISTINCT ON (m.account_id, m.user_id) m.account_id, m.user_id, m.run_cap
  FROM "member_usage_periods" m
  JOIN "usage_periods" p ON p.account_id = m.account_id AND p.id = m.period_id
  ORDER BY m.account_id, m.user_id, p.period_start DESC
) newest
WHERE newest.run_cap IS NOT NULL
  AND EXISTS (SELECT 1 FROM "users" u WHERE u.id = newest.user_id)
  AND NOT EXISTS (
    SELECT 1 FROM "account_memberships" am
    WHERE am.account_id = newest.account_id AND am.user_id = newest.user_id
  );
