import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { users } from './users';

export const EMAIL_TOKEN_PURPOSES = ['verify_email', 'password_reset'] as const;
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

/**
 * Links sent by email (verify the address, reset the password). Only the token's SHA-256 is stored: the
 * 256-bit random token in the link is the capability, so a database leak yields no usable link. Single
 * use is one conditional UPDATE on an unused, unexpired row; the address it was sent to is kept so a
 * verification link never verifies an address the user has since changed.
 */
export const emailTokens = pgTable(
  'email_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose').$type<EmailTokenPurpose>().notNull(),
    email: text('email').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
  },
  (t) => [
    // The resend limits count a user's recent tokens of one purpose.
    index('email_tokens_user_purpose_created_idx').on(t.userId, t.purpose, t.createdAt),
    index('email_tokens_email_purpose_created_idx').on(t.email, t.purpose, t.createdAt),
    check('email_tokens_purpose_valid', sql`${t.purpose} in ('verify_email', 'password_reset')`),
  ],
);

export type EmailTokenRow = typeof emailTokens.$inferSelect;
