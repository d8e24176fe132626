import type { Database } from '../database';
import { stripeEvents } from '../schema';

export interface RecordEventInput {
  id: string;
  type: string;
  stripeCreatedAt: Date;
  objectId?: string | null;
}

/**
 * true when the event is new. Call it inside the transaction that applies the event's effect: if the
 * effect fails, the event row rolls back with it and Stripe's retry is processed again.
 */
export async function recordEventOnce(db: Database, input: RecordEventInput): Promise<boolean> {
  const inserted = await db
    .insert(stripeEvents)
    .values({
      id: input.id,
      type: input.type,
      stripeCreatedAt: input.stripeCreatedAt,
      objectId: input.objectId ?? null,
    })
    .onConflictDoNothing({ target: stripeEvents.id })
    .returning({ id: stripeEvents.id });
  return inserted.length > 0;
}
