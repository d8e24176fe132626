import { sql } from 'drizzle-orm';
import { check, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

export const users = pgTable(
  'users',
  {
    // Text, not uuid: built-in accounts use random UUID strings, but a host platform's JWT `sub` can be
    // any string and is used unchanged as the user id.
    id: text('id').primaryKey(),
    email: text('email').unique(),
    passwordHash: text('password_hash'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  // The unique index only protects against duplicates if every writer lowercases: enforce it here.
  (t) => [check('users_email_lowercase', sql`${t.email} = lower(${t.email})`)],
);

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;
