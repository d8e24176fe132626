import { createServer, type Server, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, isDatabaseUnavailable, queryRows } from '../src';
import { createScratchDatabase, testPostgresServerUrl, type ScratchDatabase } from '../src/testing';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
/** How drizzle wraps a driver error: DrizzleQueryError("Failed query: …", { cause }). */
const wrapped = (cause: unknown) => new Error('Failed query: select 1', { cause });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['57P01 admin shutdown (restart, pg_terminate_backend)', withCode('57P01')],
    ['57P02 crash shutdown', withCode('57P02')],
    ['57P03 cannot connect now (starting up, shutting down)', withCode('57P03')],
    ['08006 connection failure', withCode('08006')],
    ['08001 unable to connect', withCode('08001')],
    ['53300 too many connections', withCode('53300')],
    ['ECONNREFUSED', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', withCode('ECONNRESET', 'read ECONNRESET')],
    ['ETIMEDOUT', withCode('ETIMEDOUT')],
    ['the pool acquisition timeout', new Error('timeout exceeded when trying to connect')],
    ['a connection that ended', new Error('Connection terminated unexpectedly')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
    ['a dead client', new Error('Client has encountered a connection error and is not queryable')],
    ['wrapped by drizzle', wrapped(withCode('57P01'))],
    ['wrapped twice (tRPC over drizzle)', wrapped(wrapped(new Error('Connection terminated unexpectedly')))],
    [
      'an AggregateError of refused addresses',
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed'),
    ],
  ])('says yes for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a serialization failure (retried by its caller, not an outage)', withCode('40001')],
    ['a check violation wrapped by drizzle', wrapped(withCode('23514'))],
    ['a plain error', new Error('boom')],
    ['a TypeError', new TypeError('x is not a function')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
    ['undefined', undefined],
    ['a tRPC-like code', withCode('INTERNAL_SERVER_ERROR')],
  ])('says no for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('stops on a cause cycle', () => {
    const first = new Error('a');
    const second = new Error('b', { cause: first });
    Object.assign(first, { cause: second });
    expect(isDatabaseUnavailable(first)).toBe(false);
  });
});

/** A port where nothing listens: connecting is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('createDb on PostgreSQL that is not there', () => {
  let silent: Server;
  let sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts connections and never answers: a server that vanished without closing them.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    sockets.forEach((socket) => socket.destroy());
    sockets = [];
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('fails a query with an error classified as unavailable (connection refused)', async () => {
    const handle = await createDb({
      databaseUrl: `postgres://postgres@127.0.0.1:${await closedPort()}/nowhere`,
      migrate: false,
    });
    try {
      const error = await handle.db.execute(sql`select 1`).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('gives up on a connection that never answers after poolTimeoutMs, classified as unavailable', async () => {
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const handle = await createDb({
      databaseUrl: `postgres://postgres@127.0.0.1:${port}/nowhere`,
      migrate: false,
      poolTimeoutMs: 300,
    });
    try {
      const startedAt = Date.now();
      const error = await handle.db.execute(sql`select 1`).catch((caught: unknown) => caught);
      expect(Date.now() - startedAt).toBeLessThan(5000);
      expect(isDatabaseUnavailable(error)).toBe(true);
    } finally {
      await handle.close();
    }
  });
});

const serverUrl = testPostgresServerUrl();
if (serverUrl) {
  describe('createDb on PostgreSQL: lost connections', () => {
    let scratch: ScratchDatabase;
    beforeAll(async () => {
      scratch = await createScratchDatabase(serverUrl);
    });
    afterAll(async () => {
      await scratch?.drop();
    });

    async function terminate(pid: number): Promise<void> {
      const admin = new pg.Client({ connectionString: serverUrl ?? '' });
      await admin.connect();
      try {
        await admin.query('select pg_terminate_backend($1)', [pid]);
      } finally {
        await admin.end();
      }
    }

    it('a connection terminated inside a transaction fails that transaction, not the process; the pool recovers', async () => {
      const lost: Error[] = [];
      const handle = await createDb({
        databaseUrl: scratch.url,
        migrate: false,
        poolSize: 2,
        onConnectionError: (error) => lost.push(error),
      });
      try {
        const failed = await handle.db
          .transaction(async (tx) => {
            const [row] = await queryRows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`);
            // The client is checked out and idle in its transaction when PostgreSQL ends the session
            // (before: an 'error' event nobody listened to, and the process died).
            await terminate(Number(row?.pid));
            await new Promise((resolve) => setTimeout(resolve, 300));
            await tx.execute(sql`select 1`);
          })
          .catch((error: unknown) => error);
        expect(isDatabaseUnavailable(failed)).toBe(true);
        expect(lost.length).toBeGreaterThan(0);
        expect(isDatabaseUnavailable(lost[0])).toBe(true);
        // The dead client left the pool: the next statement gets a new connection.
        expect(await queryRows(handle.db, sql`select 1 as ok`)).toEqual([{ ok: 1 }]);
      } finally {
        await handle.close();
      }
    });

    it('a statement waiting for a pool connection fails after poolTimeoutMs instead of waiting forever', async () => {
      const handle = await createDb({
        databaseUrl: scratch.url,
        migrate: false,
        poolSize: 1,
        poolTimeoutMs: 200,
      });
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let isHolding: () => void = () => {};
      const holding = new Promise<void>((resolve) => {
        isHolding = resolve;
      });
      try {
        // Connected before the timeout counts: opening the connection on a loaded machine may take longer.
        await handle.db.execute(sql`select 1`);
        // The only connection is busy in a transaction until released.
        const holder = handle.db.transaction(async (tx) => {
          await tx.execute(sql`select 1`);
          isHolding();
          await held;
        });
        await holding;
        const startedAt = Date.now();
        const error = await handle.db.execute(sql`select 1`).catch((caught: unknown) => caught);
        expect(Date.now() - startedAt).toBeLessThan(2000);
        expect(isDatabaseUnavailable(error)).toBe(true);
        release();
        await holder;
        expect(await queryRows(handle.db, sql`select 1 as ok`)).toEqual([{ ok: 1 }]);
      } finally {
        release();
        await handle.close();
      }
    });
  });
}
