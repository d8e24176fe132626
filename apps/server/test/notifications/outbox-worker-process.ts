/**
 * One outbox worker as a server process runs it, for email-outbox-processes.test.ts:
 *   DATABASE_URL=postgres://… SMTP_URL=smtp://… LEASE_MS=1500 node --import tsx outbox-worker-process.ts
 * Drains the outbox until SIGTERM (or SIGKILL, which is the point). Prints `ready` once connected and one
 * JSON line per pass that did something (`{"sent":n,…}`); the SMTP inbox stays the truth of what arrived.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createEmailWorker, silentLogger } from '@tollgate/api';
import { createDb } from '@tollgate/db';
import { createMailer } from '@tollgate/mail';
import { APP_URL, FROM } from './outbox-fixtures';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`outbox-worker-process: ${name} is required`);
  return value;
}

const databaseUrl = required('DATABASE_URL');
const smtpUrl = required('SMTP_URL');
const leaseMs = Number(process.env.LEASE_MS ?? 120_000);
const batchSize = Number(process.env.BATCH_SIZE ?? 20);
const idleMs = Number(process.env.IDLE_MS ?? 10);

// The test migrated the database; two processes migrating at once would race for nothing.
const handle = await createDb({ databaseUrl, migrate: false, poolSize: 2 });
const mailer = createMailer({ smtpUrl, from: FROM });
const worker = createEmailWorker({
  db: handle.db,
  mailer,
  now: () => new Date(),
  logger: silentLogger,
  appUrl: APP_URL,
  batchSize,
  leaseMs,
});

let isStopping = false;
process.on('SIGTERM', () => {
  isStopping = true;
});

process.stdout.write('ready\n');
while (!isStopping) {
  const pass = await worker.drainOnce();
  const handled = pass.sent + pass.retried + pass.failed + pass.skipped;
  if (handled > 0) process.stdout.write(`${JSON.stringify(pass)}\n`);
  else await sleep(idleMs);
}
mailer.close();
await handle.close();
