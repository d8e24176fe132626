import { createEmailWorker, type Logger } from '@tollgate/api';
import { enqueueEmails, listOutboxEmails, type EmailOutboxRow } from '@tollgate/db';
import { createTestDb, testPostgresServerUrl, type TestDbHandle } from '@tollgate/db/testing';
import { createMailer, startDevInbox, type DevInbox, type Mailer } from '@tollgate/mail';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  APP_URL,
  enqueueMany,
  FROM,
  manualClock,
  messageIdOf,
  outboxRow,
  paymentRecovered,
  T0,
  tally,
  verifyEmail,
} from './outbox-fixtures';

// A refused SMTP login (rotated password, expired provider key) is an outage on our side: the outbox
// keeps every email and sends it once the credentials work again, instead of failing them all for good.

const DRIVER = testPostgresServerUrl() ? 'PostgreSQL' : 'PGlite';
const BACKOFF_MS = [5_000, 60_000] as const;
const NOTHING = { sent: 0, retried: 0, failed: 0, skipped: 0 };

let testDb: TestDbHandle;
let inbox: DevInbox;
let mailers: Mailer[] = [];
let clock = manualClock();
let logged: { level: string; message: string }[] = [];

const logger: Logger = {
  info: (message) => logged.push({ level: 'info', message }),
  warn: (message) => logged.push({ level: 'warn', message }),
  error: (message) => logged.push({ level: 'error', message }),
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

/**
 * A mailer that logs in to the dev inbox (an smtp-server), counting its sends. The inbox implements no
 * login: it answers AUTH with `535 Authentication not implemented`, as a server does to a rotated
 * password; without credentials it accepts, as it does once the credentials are fixed.
 */
function countingMailer(credentials: string | null) {
  const smtpUrl = credentials ? inbox.url.replace('smtp://', `smtp://${credentials}@`) : inbox.url;
  const real = createMailer({ smtpUrl, from: FROM });
  mailers.push(real);
  let sends = 0;
  const mailer: Mailer = {
    ...real,
    send(message) {
      sends += 1;
      return real.send(message);
    },
  };
  return {
    mailer,
    get sends() {
      return sends;
    },
  };
}

function workerWith(mailer: Mailer, options: { maxAttempts?: number; batchSize?: number } = {}) {
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

async function rows(): Promise<EmailOutboxRow[]> {
  return listOutboxEmails(testDb.db);
}

async function rowOf(dedupeKey: string): Promise<EmailOutboxRow> {
  const row = (await rows()).find((candidate) => candidate.dedupeKey === dedupeKey);
  if (!row) throw new Error(`no outbox row ${dedupeKey}`);
  return row;
}

describe(`email outbox worker on ${DRIVER} when the SMTP server refuses our login`, () => {
  it('keeps every row pending with its data through a 535, and sends each exactly once after the credentials are fixed', async () => {
    const emails = [outboxRow('verify', verifyEmail('tok-ada')), outboxRow('recovered', paymentRecovered())];
    await enqueueEmails(testDb.db, emails);

    const refused = workerWith(countingMailer('tollgate:rotated-password').mailer);
    expect(await refused.drain()).toEqual({ ...NOTHING, retried: 2 });
    for (const email of emails) {
      const row = await rowOf(email.dedupeKey);
      expect(row).toMatchObject({ status: 'pending', attempts: 1, leaseUntil: null, sentAt: null });
      expect(row.data).toEqual(email.data);
      expect(row.lastError).toMatch(/535/);
      expect(row.nextAttemptAt.toISOString()).toBe(new Date(T0.getTime() + BACKOFF_MS[0]).toISOString());
    }
    expect(inbox.messages()).toEqual([]);
    expect(logged.filter((entry) => entry.level === 'error')).toEqual([]);

    clock.advance(BACKOFF_MS[0]);
    const fixed = workerWith(countingMailer(null).mailer);
    expect(await fixed.drain()).toEqual({ ...NOTHING, sent: 2 });
    clock.advance(86_400_000);
    expect(await fixed.drain()).toEqual(NOTHING);

    const sent = await rows();
    expect(sent.map((row) => [row.dedupeKey, row.status, row.attempts])).toEqual([
      ['verify', 'sent', 2],
      ['recovered', 'sent', 2],
    ]);
    const ids = inbox.messages().map((message) => message.messageId);
    expect(tally(ids).repeated).toEqual([]);
    expect(ids.sort()).toEqual(sent.map((row) => messageIdOf(row.id)).sort());
    expect(inbox.messages().find((m) => m.to[0] === 'verify@example.test')?.text).toContain('tok-ada');
  });

  it('logs in once per pass: the rest of the batch is retried without sending, and the drain stops there', async () => {
    await enqueueMany(testDb.db, 5);
    const refused = countingMailer('tollgate:rotated-password');

    expect(await workerWith(refused.mailer, { batchSize: 3 }).drain()).toEqual({ ...NOTHING, retried: 3 });
    expect(refused.sends).toBe(1);
    const attempts = (await rows()).map((row) => [row.dedupeKey, row.status, row.attempts]);
    expect(attempts).toEqual([
      ['row-1', 'pending', 1],
      ['row-2', 'pending', 1],
      ['row-3', 'pending', 1],
      ['row-4', 'pending', 0],
      ['row-5', 'pending', 0],
    ]);
  });

  it('gives a row up only after maxAttempts refused logins, erasing a secret link then', async () => {
    await enqueueEmails(testDb.db, [outboxRow('verify', verifyEmail('tok-ada'))]);
    const worker = workerWith(countingMailer('tollgate:rotated-password').mailer, { maxAttempts: 2 });

    expect(await worker.drain()).toEqual({ ...NOTHING, retried: 1 });
    clock.advance(BACKOFF_MS[0]);
    expect(await worker.drain()).toEqual({ ...NOTHING, failed: 1 });
    const row = await rowOf('verify');
    expect(row).toMatchObject({ status: 'failed', attempts: 2, data: null });
    expect(row.lastError).toMatch(/535/);
  });
});
