import { silentLogger } from '@tollgate/api';
import { createDb, queryRows, type DbHandle } from '@tollgate/db';
import { createScratchDatabase, testPostgresServerUrl, type ScratchDatabase } from '@tollgate/db/testing';
import { sql } from 'drizzle-orm';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseEnv } from '../src/env';
import { leaderSessionTimeoutMs } from '../src/leadership';
import { startServer, type RunningServer } from '../src/server';
import { TEST_JWT_SECRET } from './support/test-server';

// The network between the leading replica and PostgreSQL is cut silently on the lock's connection
// alone (no FIN, no RST: the server keeps the idle session). The leader gives up at its next check;
// without a limit on the session's idleness PostgreSQL kept the lock for the dead session until its
// TCP keepalive gave up (over two hours), and no replica ran the periodic passes meanwhile. Once the
// server ends that session, whichever replica asks first leads (the old leader's new connections
// work: only the one link was cut).
// PostgreSQL only (PGlite is one process).

const serverUrl = testPostgresServerUrl();
const LEADERSHIP_CHECK_MS = 200;

/** A TCP proxy whose connections can each stop forwarding without closing: a silent network cut. */
async function cuttableProxy(target: URL) {
  const links: { upstream: Socket; isCut: boolean }[] = [];
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const link = { upstream, isCut: false };
    links.push(link);
    client.on('data', (chunk) => void (link.isCut || upstream.write(chunk)));
    upstream.on('data', (chunk) => void (link.isCut || client.write(chunk)));
    // A cut link passes nothing on, not even one side's close.
    client.on('close', () => void (link.isCut || upstream.destroy()));
    upstream.on('close', () => void (link.isCut || client.destroy()));
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  const sockets = new Set<Socket>();
  proxy.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((proxy.address() as AddressInfo).port);
  return {
    url: url.toString(),
    /** Cuts the link PostgreSQL sees coming from this client port. */
    cut(clientPort: number) {
      const link = links.find((candidate) => candidate.upstream.localPort === clientPort);
      if (!link) throw new Error(`no proxied connection from port ${clientPort}`);
      link.isCut = true;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      for (const link of links) link.upstream.destroy();
      return new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

const handles: DbHandle[] = [];
const servers: RunningServer[] = [];

async function startReplica(databaseUrl: string): Promise<RunningServer> {
  const db = await createDb({ databaseUrl, poolSize: 3 });
  handles.push(db);
  const server = await startServer(
    parseEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
      APP_URL: 'http://app.tollgate.test',
      LOG_REQUESTS: 'false',
      RUN_START_TIMEOUT_SECONDS: '4', // the sweeper, a leader's pass, every second
      METER_REPORT_INTERVAL_SECONDS: '0',
    }),
    { db, logger: silentLogger, billing: null, leadershipCheckMs: LEADERSHIP_CHECK_MS },
  );
  servers.push(server);
  return server;
}

/** The client port PostgreSQL sees for the session holding this database's advisory lock. */
async function lockHolderPort(admin: DbHandle): Promise<number> {
  const [holder] = await queryRows<{ client_port: number }>(
    admin.db,
    sql`select a.client_port from pg_locks l
        join pg_database d on d.oid = l.database
        join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and d.datname = current_database()`,
  );
  if (!holder) throw new Error('nobody holds the leadership lock');
  return Number(holder.client_port);
}

describe.skipIf(!serverUrl)('a leader whose lock connection is cut silently (PostgreSQL)', () => {
  let scratch: ScratchDatabase | null = null;
  let proxy: Awaited<ReturnType<typeof cuttableProxy>> | null = null;

  afterAll(async () => {
    await proxy?.close();
    await Promise.all(servers.map((server) => server.close().catch(() => undefined)));
    await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
    await scratch?.drop();
  });

  it('steps down, and a replica leads again once the server ended the idle session: never two at once', async () => {
    scratch = await createScratchDatabase(serverUrl ?? '');
    proxy = await cuttableProxy(new URL(scratch.url));
    const a = await startReplica(proxy.url); // first: it leads
    const b = await startReplica(scratch.url);
    const admin = await createDb({ databaseUrl: scratch.url, poolSize: 1, migrate: false });
    handles.push(admin);
    expect([a.leadership.isLeader(), b.leadership.isLeader()]).toEqual([true, false]);
    const sweeps = [
      vi.spyOn(a.services.usage, 'sweepUnstarted'),
      vi.spyOn(b.services.usage, 'sweepUnstarted'),
    ];

    proxy.cut(await lockHolderPort(admin));
    const cutAt = Date.now();
    let aSteppedDownAt: number | null = null;
    let ledAgainAt: number | null = null;
    const limitMs = leaderSessionTimeoutMs({ checkIntervalMs: LEADERSHIP_CHECK_MS });
    while (ledAgainAt === null && Date.now() - cutAt < limitMs + 15_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const leaders = [a, b].filter((server) => server.leadership.isLeader());
      // Both leading at once is what the margin of the idle limit rules out.
      expect(leaders.length).toBeLessThanOrEqual(1);
      if (aSteppedDownAt === null && !a.leadership.isLeader()) aSteppedDownAt = Date.now();
      // Either replica may win the lock once the server frees it: A's new connections are not cut.
      else if (aSteppedDownAt !== null && leaders.length === 1) ledAgainAt = Date.now();
    }
    expect(aSteppedDownAt).not.toBeNull();
    expect(ledAgainAt).not.toBeNull();
    // The new leader runs the passes.
    const leader = a.leadership.isLeader() ? 0 : 1;
    const before = sweeps[leader]?.mock.calls.length ?? 0;
    await vi.waitFor(() => expect(sweeps[leader]?.mock.calls.length).toBeGreaterThan(before), {
      timeout: 10_000,
    });
  }, 90_000);
});
