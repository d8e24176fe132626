import { createEmailWorker, type Logger } from '@tollgate/api';
import {
  claimDueEmails,
  enqueueEmails,
  finishEmailAttempt,
  listOutboxEmails,
  type EmailOutboxRow,
} from '@tollgate/db';
import { createTestDb, testPostgresServerUrl, type TestDbHandle } from '@tollgate/db/testing';
import {
  createMailer,
  renderEmail,
  startDevInbox,
  type DevInbox,
  type Email,
  type Mailer,
} from '@tollgate/mail';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  APP_URL,
  closedPort,
  enqueueMany,
  FROM,
  manualClock,
  messageIdOf,
  outboxRow,
  paymentRecovered,
  startRejectingSmtpServer,
  T0,
  tally,
  verifyEmail,
} from './outbox-fixtures';

const DRIVER = testPostgresServerUrl() ? 'PostgreSQL' : 'PGlite';
const BACKOFF_MS = [5_000, 60_000] as const;

let testDb: TestDbHandle;
let inbox: DevInbox;
let mailers: Mailer[] = [];
let clock = manualClock();
let logged: { level: string; message: string; fields?: Record<string, unknown> }[] = [];

const logger: Logger = {
  info: (message, fields) => logged.push({ level: 'info', message, fields }),
  warn: (message, fields) => logged.push({ level: 'warn', message, fields }),
  error: (message, fields) => logged.push({ level: 'error', message, fields }),
};

beforeAll(async () => {
  testDb = await createTestDb();
  inbox = await startDevInbox({ port: 0 });
});
afterAll(async () => {
  await inbox?.close();
  await testDb?.close();
});
beforeEach(async () => {
  await testDb.reset();
  inbox.clear();
  clock = manualClock();
  logged = [];
});
afterEach(() => {
  for (const mailer of mailers) mailer.close();
  mailers = [];
});

function mailerFor(smtpUrl: string): Mailer {
  const mailer = createMailer({ smtpUrl, from: FROM });
  mailers.push(mailer);
  return mailer;
}

function workerWith(mailer: Mailer | null, options: { maxAttempts?: number; batchSize?: number } = {}) {
  return createEmailWorker({
    db: testDb.db,
    mailer,
    now: clock.now,
    logger,
    appUrl: APP_URL,
    backoffMs: BACKOFF_MS,
    ...options,
  });
}

async function rows(): Promise<Map<string, EmailOutboxRow>> {
  return new Map((await listOutboxEmails(testDb.db)).map((row) => [row.dedupeKey, row]));
}

async function rowOf(dedupeKey: string): Promise<EmailOutboxRow> {
  const row = (await rows()).get(dedupeKey);
  if (!row) throw new Error(`no outbox row ${dedupeKey}`);
  return row;
}

const NOTHING = { sent: 0, retried: 0, failed: 0, skipped: 0 };

/**
 * Every lease runs out now. Leases are on the database's clock, so advancing the app's clock can't end
 * them (that is the point): their end is moved into the database's past instead.
 */
async function expireLeases(): Promise<void> {
  await testDb.db.execute(
    sql`update email_outbox set lease_until = clock_timestamp() - interval '1 second' where lease_until is not null`,
  );
}

describe(`email outbox worker on ${DRIVER} with a real SMTP dev inbox`, () => {
  it('sends each pending row once, as the rendered email under its own Message-ID', async () => {
    const emails: Record<string, Email> = {
      'ada-recovered': paymentRecovered('Acme'),
      'bob-verify': verifyEmail('tok-bob'),
      'carol-recovered': paymentRecovered('Carol & Co <b>'),
    };
    await enqueueEmails(
      testDb.db,
      Object.entries(emails).map(([key, email]) => outboxRow(key, email)),
    );
    const worker = workerWith(mailerFor(inbox.url));

    expect(await worker.drain()).toEqual({ ...NOTHING, sent: 3 });
    expect(await worker.drain()).toEqual(NOTHING);

    const received = inbox.messages();
    expect(received).toHaveLength(3);
    expect(tally(received.map((m) => m.messageId)).repeated).toEqual([]);
    for (const [key, email] of Object.entries(emails)) {
      const row = await rowOf(key);
      expect(row).toMatchObject({ status: 'sent', attempts: 1, leaseUntil: null, lastError: null });
      expect(row.sentAt?.toISOString()).toBe(T0.toISOString());
      const message = received.find((m) => m.messageId === messageIdOf(row.id));
      expect(message, `message for ${key}`).toBeDefined();
      const rendered = renderEmail(email, { appUrl: APP_URL });
      expect(message?.messageId).toBe(`<outbox-${row.id}@app.tollgate.test>`);
      expect(message?.to).toEqual([`${key}@example.test`]);
      expect(message?.from).toBe('no-reply@tollgate.test');
      expect(message?.subject).toBe(rendered.subject);
      expect(message?.html).toBe(rendered.html);
      expect(message?.text.trim()).toBe(rendered.text.trim());
    }
    const verify = received.find((m) => m.to[0] === 'bob-verify@example.test');
    expect(verify?.subject).toBe('Verify your email address');
    expect(verify?.html).toContain(`href="${APP_URL}/verify-email#token=tok-bob"`);
    expect(verify?.text).toContain(`${APP_URL}/verify-email#token=tok-bob`);
  });

  it('drains batch after batch until nothing is due, and an event enqueued twice is sent once', async () => {
    await enqueueMany(testDb.db, 7);
    expect(await enqueueEmails(testDb.db, [outboxRow('row-3', paymentRecovered())])).toBe(0);

    expect(await workerWith(mailerFor(inbox.url), { batchSize: 2 }).drain()).toEqual({ ...NOTHING, sent: 7 });
    const ids = [...(await rows()).values()].map((row) => messageIdOf(row.id)).sort();
    expect(
      inbox
        .messages()
        .map((m) => m.messageId)
        .sort(),
    ).toEqual(ids);
  });

  it('keeps a row pending with its error when SMTP is unreachable, and sends it once the backoff has passed', async () => {
    await enqueueEmails(testDb.db, [outboxRow('ada', paymentRecovered())]);
    const unreachable = workerWith(mailerFor(`smtp://127.0.0.1:${await closedPort()}`));

    expect(await unreachable.drain()).toEqual({ ...NOTHING, retried: 1 });
    const pending = await rowOf('ada');
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, leaseUntil: null, sentAt: null });
    expect(pending.lastError).toMatch(/ECONNREFUSED/);
    expect(pending.nextAttemptAt.toISOString()).toBe(new Date(T0.getTime() + BACKOFF_MS[0]).toISOString());
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'email delivery failed, will retry' }),
    );

    const reachable = workerWith(mailerFor(inbox.url));
    clock.advance(BACKOFF_MS[0] - 1);
    expect(await reachable.drain()).toEqual(NOTHING);
    expect(inbox.messages()).toHaveLength(0);

    clock.advance(1);
    expect(await reachable.drain()).toEqual({ ...NOTHING, sent: 1 });
    const sent = await rowOf('ada');
    expect(sent).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
    expect(inbox.messages().map((m) => m.messageId)).toEqual([messageIdOf(sent.id)]);
  });

  it('retries a 450 deferral from the receiving server', async () => {
    const deferring = await startRejectingSmtpServer('450 4.2.0 Greylisted, try again later');
    try {
      await enqueueEmails(testDb.db, [outboxRow('ada', paymentRecovered())]);
      expect(await workerWith(mailerFor(deferring.url)).drain()).toEqual({ ...NOTHING, retried: 1 });
      const row = await rowOf('ada');
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row.lastError).toMatch(/450/);
    } finally {
      await deferring.close();
    }
  });

  it('fails a row for good when the server rejects the recipient with 550, and never retries it', async () => {
    const rejecting = await startRejectingSmtpServer('550 5.1.1 Mailbox unavailable');
    try {
      await enqueueEmails(testDb.db, [outboxRow('ada', paymentRecovered())]);
      const worker = workerWith(mailerFor(rejecting.url));

      expect(await worker.drain()).toEqual({ ...NOTHING, failed: 1 });
      const row = await rowOf('ada');
      expect(row).toMatchObject({ status: 'failed', attempts: 1, leaseUntil: null, sentAt: null });
      expect(row.lastError).toMatch(/550/);
      expect(logged).toContainEqual(
        expect.objectContaining({ level: 'error', message: 'email not delivered, given up' }),
      );

      clock.advance(86_400_000);
      expect(await worker.drain()).toEqual(NOTHING);
      expect(rejecting.recipientAttempts).toBe(1);
    } finally {
      await rejecting.close();
    }
  });

  it('fails a row once maxAttempts retryable attempts have failed', async () => {
    await enqueueEmails(testDb.db, [outboxRow('ada', paymentRecovered())]);
    const worker = workerWith(mailerFor(`smtp://127.0.0.1:${await closedPort()}`), { maxAttempts: 3 });

    expect(await worker.drain()).toEqual({ ...NOTHING, retried: 1 });
    clock.advance(BACKOFF_MS[0]);
    expect(await worker.drain()).toEqual({ ...NOTHING, retried: 1 });
    expect((await rowOf('ada')).nextAttemptAt.getTime()).toBe(clock.now().getTime() + BACKOFF_MS[1]);
    clock.advance(BACKOFF_MS[1]);
    expect(await worker.drain()).toEqual({ ...NOTHING, failed: 1 });

    const row = await rowOf('ada');
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    expect(row.lastError).toMatch(/ECONNREFUSED/);
    clock.advance(86_400_000);
    expect(await worker.drain()).toEqual(NOTHING);
  });

  it('does not hand out a leased row before its lease ends, and fences off the late finish of the expired claim', async () => {
    await enqueueEmails(testDb.db, [outboxRow('ada', paymentRecovered())]);
    const leaseMs = 60_000;

    const [first, ...others] = await claimDueEmails(testDb.db, { now: T0, limit: 10, leaseMs });
    expect(others).toEqual([]);
    expect(first).toMatchObject({ dedupeKey: 'ada', attempts: 1 });
    // A claimer whose clock says the lease is long over doesn't decide: the database's clock does.
    const afterLease = new Date(T0.getTime() + 10 * leaseMs);
    expect(await claimDueEmails(testDb.db, { now: afterLease, limit: 10, leaseMs })).toEqual([]);

    await expireLeases();
    const claimedAt = Date.now();
    const [second] = await claimDueEmails(testDb.db, { now: afterLease, limit: 10, leaseMs });
    expect(second).toMatchObject({ id: first?.id, attempts: 2 });
    if (!first || !second) throw new Error('both claims should hold the row');

    // The first claimer wakes up late: whatever it reports, the newer claim owns the row.
    expect(
      await finishEmailAttempt(testDb.db, first, { status: 'sent', at: afterLease, eraseData: true }),
    ).toBe(false);
    expect(
      await finishEmailAttempt(testDb.db, first, {
        status: 'failed',
        at: afterLease,
        error: 'late',
        eraseData: true,
      }),
    ).toBe(false);
    expect(
      await finishEmailAttempt(testDb.db, first, {
        status: 'retry',
        at: afterLease,
        nextAttemptAt: new Date(afterLease.getTime() + 1),
        error: 'late',
      }),
    ).toBe(false);
    const untouched = await rowOf('ada');
    expect(untouched).toMatchObject({ status: 'pending', attempts: 2, sentAt: null, lastError: null });
    // The newer claim's lease: leaseMs from its claim, on the database's clock (PGlite's is this process's).
    expect(untouched.leaseUntil?.getTime()).toBeGreaterThanOrEqual(claimedAt + leaseMs - 1_000);
    expect(untouched.leaseUntil?.getTime()).toBeLessThanOrEqual(Date.now() + leaseMs + 1_000);
    expect(untouched.data).toEqual(outboxRow('ada', paymentRecovered()).data);

    expect(
      await finishEmailAttempt(testDb.db, second, { status: 'sent', at: afterLease, eraseData: false }),
    ).toBe(true);
    expect(await rowOf('ada')).toMatchObject({ status: 'sent', attempts: 2, leaseUntil: null });
    expect(
      await claimDueEmails(testDb.db, {
        now: new Date(afterLease.getTime() + 10 * leaseMs),
        limit: 10,
        leaseMs,
      }),
    ).toEqual([]);
  });

  it('erases the data of a sent secret-link email and keeps the facts of other kinds', async () => {
    await enqueueEmails(testDb.db, [
      outboxRow('verify', verifyEmail('secret-token')),
      outboxRow('recovered', paymentRecovered()),
    ]);
    expect(await workerWith(mailerFor(inbox.url)).drain()).toEqual({ ...NOTHING, sent: 2 });

    expect(await rowOf('verify')).toMatchObject({ status: 'sent', data: null });
    expect((await rowOf('recovered')).data).toEqual({
      kind: 'payment_recovered',
      accountName: 'Acme',
      planName: 'Pro',
    });
    expect(inbox.messages().find((m) => m.to[0] === 'verify@example.test')?.text).toContain('secret-token');
  });

  it('never sends a row whose lease ran out while earlier rows of its batch were being sent', async () => {
    // A slow SMTP server (300 ms a message) and a lease shorter than the batch takes (8 rows, 2.4 s):
    // the second worker, 1.3 s in, claims the rows whose lease the first one no longer holds (not yet
    // renewed: over at 1 s); the first one renews each lease before each send, finds it lost, and leaves
    // the row to the claim that holds it. A single send slower than the lease would be sent twice (the
    // documented limit): 1 s against 300 ms leaves room for a loaded machine.
    const slowInbox = await startDevInbox({ port: 0, acceptDelayMs: 300 });
    try {
      await enqueueMany(testDb.db, 8);
      const worker = (leaseMs: number) =>
        createEmailWorker({
          db: testDb.db,
          mailer: mailerFor(slowInbox.url),
          now: () => new Date(),
          logger,
          appUrl: APP_URL,
          batchSize: 8,
          leaseMs,
        });
      const first = worker(1_000).drainOnce();
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      const second = await worker(1_000).drain();
      const firstResult = await first;
      // Rows both short leases lost are left due, for a worker whose lease fits its batch.
      const last = await worker(60_000).drain();
      const ids = slowInbox.messages().map((message) => message.messageId);
      expect(tally(ids).repeated).toEqual([]);
      expect(new Set(ids).size).toBe(8);
      expect(firstResult.sent + second.sent + last.sent).toBe(8);
      expect(firstResult.sent).toBeLessThan(8); // the first worker did lose rows to the second
      expect([...(await rows()).values()].every((row) => row.status === 'sent')).toBe(true);
    } finally {
      await slowInbox.close();
    }
  });

  it('erases the link of a secret-link email that failed for good', async () => {
    const rejecting = await startRejectingSmtpServer('550 5.1.1 no such mailbox');
    try {
      await enqueueEmails(testDb.db, [outboxRow('verify', verifyEmail('secret-token'))]);
      expect(await workerWith(mailerFor(rejecting.url)).drain()).toEqual({ ...NOTHING, failed: 1 });
      expect(await rowOf('verify')).toMatchObject({ status: 'failed', data: null });
    } finally {
      await rejecting.close();
    }
  });

  it('marks rows skipped and sends nothing when delivery is disabled (mailer null)', async () => {
    await enqueueMany(testDb.db, 3);
    const worker = workerWith(null);

    expect(await worker.drain()).toEqual({ ...NOTHING, skipped: 3 });
    for (const row of (await rows()).values()) {
      expect(row).toMatchObject({
        status: 'skipped',
        attempts: 1,
        sentAt: null,
        lastError: 'email delivery disabled',
      });
    }
    clock.advance(86_400_000);
    expect(await worker.drain()).toEqual(NOTHING);
    expect(inbox.messages()).toEqual([]);
  });

  it('fails a row that cannot be rendered and still sends the others of the same pass', async () => {
    await enqueueEmails(testDb.db, [
      outboxRow('good-1', paymentRecovered()),
      outboxRow('bad', { kind: 'verify_email', verifyUrl: 'javascript:alert(1)', expiresInHours: 24 }),
      outboxRow('good-2', verifyEmail('ok')),
    ]);
    const worker = workerWith(mailerFor(inbox.url), { batchSize: 10 });

    expect(await worker.drainOnce()).toEqual({ ...NOTHING, sent: 2, failed: 1 });
    const bad = await rowOf('bad');
    expect(bad).toMatchObject({ status: 'failed', attempts: 1, sentAt: null });
    expect(bad.lastError).toMatch(/http\(s\)/);
    const sentIds = [await rowOf('good-1'), await rowOf('good-2')].map((row) => messageIdOf(row.id)).sort();
    expect(
      inbox
        .messages()
        .map((m) => m.messageId)
        .sort(),
    ).toEqual(sentIds);
    expect(inbox.messages().some((m) => m.html.includes('javascript:'))).toBe(false);
    clock.advance(86_400_000);
    expect(await worker.drain()).toEqual(NOTHING);
  });
});
