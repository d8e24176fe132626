import { createUser, ensureFreeSubscription } from '../src';
import type { Database } from '../src';

let counter = 0;

/** A user with a FREE subscription; emails are unique per call so tests never collide. */
export async function makeUser(db: Database, now: Date = new Date('2025-01-15T10:00:00Z')) {
  counter += 1;
  const user = await createUser(db, { email: `user${counter}@example.test`, createdAt: now });
  await ensureFreeSubscription(db, user.id, now);
  return user;
}
