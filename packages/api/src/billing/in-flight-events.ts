/**
 * Deliveries of one Stripe event that meet in this process: the later ones wait for the first instead
 * of repeating its work. Stripe retries a delivery it gave up on while the first may still be running
 * (most often when the server is slow, which is when repeated work hurts most), and each such copy
 * would re-fetch the object from Stripe and open a transaction only to find the event stored.
 *
 * - The first settled (applied, ignored, recorded as failed, or found stored): its row is committed,
 *   so a waiting copy is a duplicate and does nothing.
 * - The first threw (retryable: answered 5xx, rolled back): a waiting copy runs on its own, as it
 *   would have without this.
 *
 * Only an optimization: copies that reach other replicas, or arrive after the first settled, are
 * recognized by the event id's primary key as before.
 */
export function createInFlightEvents() {
  const running = new Map<string, Promise<unknown>>();

  async function once<T>(eventId: string, work: () => Promise<T>, duplicate: () => T): Promise<T> {
    const earlier = running.get(eventId);
    if (earlier && (await isResolved(earlier))) return duplicate();
    const current = work();
    running.set(eventId, current);
    try {
      return await current;
    } finally {
      // A copy that ran after a thrown first one may have taken its place: only the owner removes it.
      if (running.get(eventId) === current) running.delete(eventId);
    }
  }

  return { once, size: () => running.size };
}

/** true when the promise resolves, false when it rejects. */
function isResolved(promise: Promise<unknown>): Promise<boolean> {
  return promise.then(
    () => true,
    () => false,
  );
}
