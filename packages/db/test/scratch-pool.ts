import pg from 'pg';

/**
 * A bare node-postgres pool on a scratch database, for tests that need the driver itself. Its clients
 * ignore connection errors, as createDb's do: pool.end() resolves as soon as its clients are asked to
 * close, so the scratch database's forced drop that follows can still reach a client's backend, whose
 * "terminating connection due to administrator command" would otherwise be an uncaught error.
 */
export function scratchPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('connect', (client) => client.on('error', () => {}));
  pool.on('error', () => {});
  return pool;
}
