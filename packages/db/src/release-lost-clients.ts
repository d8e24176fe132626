import type pg from 'pg';

/** How long the holder of a dead client has to release it before the pool takes it back. */
const RELEASE_GRACE_MS = 1_000;

/**
 * Gives the pool back clients whose connection died while checked out and that nobody released.
 * drizzle's node-postgres `transaction()` sends `begin` before its try/finally: when the connection is
 * lost on that very statement (pg_terminate_backend, a restart), the error propagates and the client
 * is never released, so each such failure would take one of the pool's connections for good and, after
 * `max` of them, every request would wait for a connection that never comes. Holders that do release
 * (the usual path) do so within milliseconds of the failure, before the grace period ends.
 */
export function releaseLostClients(pool: pg.Pool): void {
  const checkedOut = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_error, client) => checkedOut.delete(client));
  pool.on('connect', (client) => {
    client.once('end', () => {
      setTimeout(() => {
        if (!checkedOut.has(client)) return;
        try {
          client.release(new Error('connection lost while checked out'));
        } catch {
          // Released by its holder meanwhile: nothing to give back.
        }
      }, RELEASE_GRACE_MS).unref();
    });
  });
}
