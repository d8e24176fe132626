import { sql, type SQLWrapper } from 'drizzle-orm';

// Leases (outbox rows, meter batches) are taken, renewed and judged over by PostgreSQL's clock only:
// every replica then reads the same clock, so one whose own clock runs ahead can't take what another
// is still sending, and one running behind can't write a lease already over. clock_timestamp(), not
// now(): a lease starts when it is written, even inside a long transaction.

/** A lease's end, `leaseMs` from now on the database's clock. */
export const leaseEndsAfter = (leaseMs: number) =>
  sql`clock_timestamp() + ${leaseMs}::double precision * interval '1 millisecond'`;

/** A lease nobody holds any more (or never held). */
export const isLeaseOver = (leaseUntil: SQLWrapper) =>
  sql`(${leaseUntil} is null or ${leaseUntil} <= clock_timestamp())`;

/** A lease someone still holds. */
export const isLeaseLive = (leaseUntil: SQLWrapper) => sql`${leaseUntil} > clock_timestamp()`;
