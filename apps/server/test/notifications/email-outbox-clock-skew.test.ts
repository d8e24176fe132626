import { setTimeout as sleep } from 'node:timers/promises';
import { createEmailWorker, silentLogger } from '@tollgate/api';
import { claimDueEmails, enqueueEmails, listOutboxEmails, type EmailOutboxRow } from '@tollgate/db';
import { sql } from 'drizzle-orm';
import { createTestDb, testPostgresServerUrl, type TestDbHandle } from '@tollgate/db/testing';
import type { Mailer, OutgoingMessage } from '@tollgate/mail';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APP_URL, enqueueMany, outboxRow, paymentRecovered, tally } from './outbox-fixtures';

// Server replicas' clocks differ; PostgreSQL's is the one they share. Leases are taken, renewed and
// judged expired on the database's clock, so a skew larger than the lease can't make two replicas send
// one row. The workers below share one database, each with its own (skewed) app clock, as replicas do.

const DRIVER = testPostgresServerUrl() ? 'PostgreSQL' : 'PGlite';
const LEASE_MS = 120_000; // the worker's default
const SKEW_MS = 5 * 60_000; // more than the lease

let testDb: TestDbHandle;

beforeAll(async () => {
  testDb = await createTestDb();
});
afterAll(async () => {
  await testDb?.close();
});
beforeEach(async () => {
  await testDb.reset();
});

/** A mailer that records each send; after hold(), its next send waits (a slow SMTP server) until released. */
function recordingMailer(sent: string[]) {
  let gate: { entered: () => void; released: Promise<void> } | null = null;
  const mailer: Mailer = {
    async send(message: OutgoingMessage) {
      sent.push(`${message.to} ${message.messageId}`);
      const current = gate;
      gate = null;
      if (current) {
        current.entered();
        await current.released;
      }
      return { accepted: [message.to], rejected: [], response: '250 ok' };
    },
    async verify() {},
    close() {},
  };
  function hold() {
    let entered: () => void = () => undefined;
    let release: () => void = () => undefined;
    const isEntered = new Promise<void>((resolve) => (entered = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    gate = { entered, released };
    return { isEntered, release };
  }
  return { mailer, hold };
}

/** A replica's outbox worker whose clock is `skewMs` off the real one. */
const replica = (mailer: Mailer, skewMs: number, batchSize = 20) =>
  createEmailWorker({
    db: testDb.db,
    mailer,
    now: () => new Date(Date.now() + skewMs),
    logger: silentLogger,
    appUrl: APP_URL,
    leaseMs: LEASE_MS,
    batchSize,
  });

/** One row, due an hour ago by every clock below. */
async function enqueueOneDueRow(): Promise<void> {
  await enqueueEmails(testDb.db, [
    { ...outboxRow('ada', paymentRecovered()), nextAttemptAt: new Date(Date.now() - 3_600_000) },
  ]);
}

async function theRow(): Promise<EmailOutboxRow> {
  const [row] = await listOutboxEmails(testDb.db);
  if (!row) throw new Error('no outbox row');
  return row;
}

/**
 * Replica A (clock `skewOfA`) claims the row and is in the middle of sending it; replica B (clock
 * `skewOfB`) runs a pass meanwhile; then A's send completes. Returns every send and the row's lease as A
 * held it while sending.
 */
async function raceForOneRow(skewOfA: number, skewOfB: number) {
  await enqueueOneDueRow();
  const sent: string[] = [];
  const a = recordingMailer(sent);
  const held = a.hold();
  const drainingA = replica(a.mailer, skewOfA).drainOnce();
  await held.isEntered;
  const leaseWhileSending = (await theRow()).leaseUntil;
  const resultB = await replica(recordingMailer(sent).mailer, skewOfB).drainOnce();
  held.release();
  const resultA = await drainingA;
  return { sent, resultA, resultB, leaseWhileSending };
}

describe(`email outbox leases on the database's clock (${DRIVER}), replicas' clocks skewed`, () => {
  it('a replica whose clock runs 5 minutes ahead does not take the row another is sending: sent once', async () => {
    const { sent, resultA, resultB } = await raceForOneRow(0, SKEW_MS);

    expect(resultB.sent).toBe(0);
    expect(resultA.sent).toBe(1);
    expect(sent).toHaveLength(1);
    expect(await theRow()).toMatchObject({ status: 'sent', attempts: 1, leaseUntil: null });
  });

  it('a replica whose clock runs 5 minutes behind sends under a live lease: the other does not take the row, sent once', async () => {
    const { sent, resultA, resultB, leaseWhileSending } = await raceForOneRow(-SKEW_MS, 0);

    // Claimed and renewed right before the send: both leases end a lease after the database's now.
    expect(leaseWhileSending?.getTime()).toBeGreaterThan(Date.now() + LEASE_MS / 2);
    expect(resultB.sent).toBe(0);
    expect(resultA.sent).toBe(1);
    expect(sent).toHaveLength(1);
    expect(await theRow()).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it("a dead worker's lease ends leaseMs after its claim on the database's clock, whatever the worker's own clock said", async () => {
    await enqueueOneDueRow();
    // A worker whose clock runs 5 minutes ahead claims the row for 3 s, then dies before sending (3 s:
    // the survivor's first look must come before it ends, on a loaded machine too).
    const [orphan] = await claimDueEmails(testDb.db, {
      now: new Date(Date.now() + SKEW_MS),
      limit: 10,
      leaseMs: 3_000,
    });
    expect(orphan).toMatchObject({ dedupeKey: 'ada', attempts: 1 });
    const sent: string[] = [];
    const survivor = replica(recordingMailer(sent).mailer, 0);
    expect(await survivor.drainOnce()).toMatchObject({ sent: 0 });

    await sleep(3_300);
    expect(await survivor.drainOnce()).toMatchObject({ sent: 1 });
    expect(sent).toHaveLength(1);
    expect(await theRow()).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a batch that outlived the leases of its later rows sends none of the rows another replica took', async () => {
    // Rows due at T0 (2026-12-03), before every clock below.
    await enqueueMany(testDb.db, 3);
    const sent: string[] = [];
    const a = recordingMailer(sent);
    const held = a.hold();
    const drainingA = replica(a.mailer, -SKEW_MS, 3).drainOnce();
    await held.isEntered;
    // A's first send is slow: the leases of its two other rows run out meanwhile (on the database's
    // clock; A's own clock, 5 minutes behind, would say they have minutes left).
    await testDb.db.execute(
      sql`update email_outbox set lease_until = clock_timestamp() - interval '1 second'
          where status = 'pending' and dedupe_key <> 'row-1'`,
    );
    const resultB = await replica(recordingMailer(sent).mailer, SKEW_MS).drainOnce();
    held.release();
    const resultA = await drainingA;

    expect([resultA.sent, resultB.sent]).toEqual([1, 2]);
    expect(tally(sent).repeated).toEqual([]);
    expect(sent).toHaveLength(3);
    const rows = await listOutboxEmails(testDb.db);
    expect(rows.map((row) => [row.dedupeKey, row.status])).toEqual([
      ['row-1', 'sent'],
      ['row-2', 'sent'],
      ['row-3', 'sent'],
    ]);
  });
});
