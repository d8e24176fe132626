import { sql } from 'drizzle-orm';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, postgresPoolOf, queryRows, tryAdvisoryLock, type DbHandle } from '../src';
import { createScratchDatabase } from '../src/testing';
import { postgresServerUrl, withTwoPools } from './two-pools';

/**
 * A TCP proxy to PostgreSQL that can stop forwarding without closing anything: what a network cut
 * looks like to the client (no FIN, no RST, no answer).
 */
async function freezableProxy(target: URL) {
  const sockets: Socket[] = [];
  let isFrozen = false;
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.push(client, upstream);
    client.on('data', (chunk) => void (isFrozen || upstream.write(chunk)));
    upstream.on('data', (chunk) => void (isFrozen || client.write(chunk)));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    freeze: () => void (isFrozen = true),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('advisory lock on the embedded PGlite (one process, one session)', () => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await createDb({ dataDir: 'memory://' });
  });
  afterAll(() => handle?.close());

  it('has no pool, and always grants the lock: the process is the only one', async () => {
    expect(postgresPoolOf(handle.db)).toBeNull();
    const first = await tryAdvisoryLock(handle.db, 'job');
    const second = await tryAdvisoryLock(handle.db, 'job');
    expect(first?.isHeld()).toBe(true);
    expect(second?.isHeld()).toBe(true);
    expect(await first?.check()).toBe(true);
    await first?.release();
    await second?.release();
    expect(first?.isHeld()).toBe(false);
    const [row] = await queryRows<{ count: number }>(
      handle.db,
      sql`select count(*)::int as count from pg_locks where locktype = 'advisory'`,
    );
    expect(row?.count).toBe(0);
  });
});

describe.skipIf(!postgresServerUrl)('advisory lock on PostgreSQL (two processes, one database)', () => {
  it('is held by one pool at a time, on a session of its own, until released', async () => {
    await withTwoPools(async (a, b) => {
      expect(postgresPoolOf(a)).not.toBeNull();
      const held = await tryAdvisoryLock(a, 'job');
      expect(held?.isHeld()).toBe(true);
      expect(await tryAdvisoryLock(b, 'job')).toBeNull();
      // Another name is another lock.
      const other = await tryAdvisoryLock(b, 'other job');
      expect(other).not.toBeNull();
      await other?.release();
      // The pool is not holding it: a pool connection can't unlock it, and the pool stays whole.
      const [unlocked] = await queryRows<{ ok: boolean }>(
        a,
        sql`select pg_advisory_unlock(hashtext('job')) as ok`,
      );
      expect(unlocked?.ok).toBe(false);
      expect(await tryAdvisoryLock(b, 'job')).toBeNull();

      await held?.release();
      const taken = await tryAdvisoryLock(b, 'job');
      expect(taken?.isHeld()).toBe(true);
      await taken?.release();
    });
  });

  it('is lost with its session: check() says so and another process takes it', async () => {
    await withTwoPools(async (a, b) => {
      const held = await tryAdvisoryLock(a, 'job');
      expect(held).not.toBeNull();
      // Only this database's holder: pg_locks lists the whole server's, and other suites running at
      // the same time hold their own (a leader of the replicas test lost its lead to this once).
      await b.execute(
        sql`select pg_terminate_backend(l.pid) from pg_locks l
            join pg_database d on d.oid = l.database
            where l.locktype = 'advisory' and l.granted and d.datname = current_database()`,
      );
      expect(await held?.check()).toBe(false);
      expect(held?.isHeld()).toBe(false);
      const taken = await tryAdvisoryLock(b, 'job');
      expect(taken).not.toBeNull();
      await held?.release(); // a no-op: nothing held
      await taken?.release();
    });
  });

  it('a session that stops answering (a network cut) is given up within the check timeout', async () => {
    const scratch = await createScratchDatabase(postgresServerUrl ?? '');
    const proxy = await freezableProxy(new URL(scratch.url));
    const handle = await createDb({ databaseUrl: proxy.url, poolSize: 2, migrate: false });
    try {
      // Long enough for an answering check on a loaded CI machine; the frozen one waits it out once.
      const held = await tryAdvisoryLock(handle.db, 'job', { checkTimeoutMs: 3_000 });
      expect(await held?.check()).toBe(true);
      proxy.freeze();
      // Without the timeout this check waits for TCP keepalive (hours): the test's own timeout fails it.
      expect(await held?.check()).toBe(false);
      expect(held?.isHeld()).toBe(false);
    } finally {
      await proxy.close();
      await handle.close().catch(() => undefined);
      await scratch.drop();
    }
  });

  it('after a silent cut, the server ends the idle session and another process takes the lock', async () => {
    const scratch = await createScratchDatabase(postgresServerUrl ?? '');
    const proxy = await freezableProxy(new URL(scratch.url));
    const cutOff = await createDb({ databaseUrl: proxy.url, poolSize: 1, migrate: false });
    const other = await createDb({ databaseUrl: scratch.url, poolSize: 1, migrate: false });
    try {
      const held = await tryAdvisoryLock(cutOff.db, 'job', {
        checkTimeoutMs: 3_000,
        idleSessionTimeoutMs: 2_000,
      });
      expect(held).not.toBeNull();
      // Checked more often than the idle limit, the holder keeps its lock.
      for (let i = 0; i < 6; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await held?.check()).toBe(true);
      }
      expect(await tryAdvisoryLock(other.db, 'job')).toBeNull();
      proxy.freeze();
      expect(await held?.check()).toBe(false);
      // The server heard nothing more from the session: it ends it and frees the lock. Without the
      // idle limit it keeps both until its TCP keepalive gives up (hours): this wait fails the test.
      let taken = null;
      for (let i = 0; i < 50 && !taken; i += 1) {
        taken = await tryAdvisoryLock(other.db, 'job');
        if (!taken) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(taken?.isHeld()).toBe(true);
      await taken?.release();
    } finally {
      await proxy.close();
      await Promise.all([cutOff.close(), other.close()].map((closing) => closing.catch(() => undefined)));
      await scratch.drop();
    }
  });
});
