import {
  claimDueEmails,
  finishEmailAttempt,
  renewEmailLease,
  type ClaimedEmail,
  type Database,
} from '@tollgate/db';
import { isPermanentSmtpError, renderEmail, type Mailer } from '@tollgate/mail';
import type { Logger } from '../logger';
import { fromStored, SECRET_LINK_KINDS } from './notifier';
import type { UnsubscribeLinks } from './unsubscribe-links';

export interface EmailWorkerOptions {
  db: Database;
  /** null: delivery disabled (EMAIL_DELIVERY=disabled): rows are marked skipped, nothing is sent. */
  mailer: Mailer | null;
  now: () => Date;
  logger: Logger;
  appUrl: string;
  /** Rows claimed per pass. */
  batchSize?: number;
  /**
   * How long a claim is held, on the database's clock (replicas' clocks may differ): past it, a row whose
   * worker died is due again.
   */
  leaseMs?: number;
  /** After this many attempts a row is failed for good (and logged). */
  maxAttempts?: number;
  /** Delay before retry n (1-based), capped by the last entry. */
  backoffMs?: readonly number[];
  /** The domain of Message-IDs (`<outbox-<id>@domain>`): the same row always carries the same id. */
  messageIdDomain?: string;
  /** One-click unsubscribe links for mail a user may switch off; none without them. */
  unsubscribeLinks?: UnsubscribeLinks | null;
}

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
}

/** What a pass learns that concerns the rest of it. */
interface PassState {
  /** The first send's error that says the SMTP server refused our login (credentials). */
  loginError: unknown;
}

const DEFAULT_BACKOFF_MS = [30_000, 120_000, 600_000, 1_800_000, 3_600_000] as const;

/**
 * Drains the email outbox. Each pass claims due rows (FOR UPDATE SKIP LOCKED plus a lease, committed
 * before sending), sends each over SMTP, then records the result fenced by the attempt number. Any
 * number of processes may run it: a row is held by one claim at a time, and its lease is renewed (fenced)
 * right before its send, so a slow batch never sends a row whose lease ran out and another worker took.
 * The one window for a duplicate is a crash (or a single send slower than the lease) after the SMTP
 * server accepted a message and before its row is marked sent; the resend
 * then carries the same Message-ID, which receiving systems use to drop duplicates. Nothing is lost: a
 * claim that never finishes expires and the row is due again.
 */
export function createEmailWorker(options: EmailWorkerOptions) {
  const { db, mailer, now, logger, appUrl } = options;
  const batchSize = options.batchSize ?? 20;
  const leaseMs = options.leaseMs ?? 120_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const domain = options.messageIdDomain ?? hostOf(appUrl);

  const isSecret = (claim: ClaimedEmail) => SECRET_LINK_KINDS.has(claim.kind);

  /**
   * RFC 2369 + RFC 8058: mail clients show an unsubscribe button that POSTs to the link, and large
   * mailbox providers expect it on mail a user didn't ask for each time (alerts, reminders).
   */
  function unsubscribeHeaders(claim: ClaimedEmail): Record<string, string> {
    const url = options.unsubscribeLinks?.urlFor(claim.kind, claim.userId) ?? null;
    if (!url) return {};
    return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
  }

  async function deliver(claim: ClaimedEmail, pass: PassState): Promise<keyof DrainResult | 'lost'> {
    if (!mailer) {
      await finishEmailAttempt(db, claim, {
        status: 'skipped',
        at: now(),
        error: 'email delivery disabled',
        eraseData: isSecret(claim),
      });
      return 'skipped';
    }
    if (!claim.data) {
      await finishEmailAttempt(db, claim, {
        status: 'failed',
        at: now(),
        error: 'no data to render',
        eraseData: isSecret(claim),
      });
      return 'failed';
    }
    let rendered: ReturnType<typeof renderEmail>;
    try {
      rendered = renderEmail(fromStored(claim.data), { appUrl });
    } catch (error) {
      // A template that can't render these facts never will: retrying can't help.
      return recordFailure(claim, error, true);
    }
    // The batch's earlier sends may have outlived this row's lease: send only while still holding it.
    if (!(await renewEmailLease(db, claim, leaseMs))) return 'lost';
    try {
      await mailer.send({
        to: claim.toAddress,
        ...rendered,
        messageId: `<outbox-${claim.id}@${domain}>`,
        headers: { 'X-Tollgate-Notification': claim.kind, ...unsubscribeHeaders(claim) },
      });
    } catch (error) {
      if (isLoginRefused(error)) pass.loginError = error;
      return recordFailure(claim, error);
    }
    const isRecorded = await finishEmailAttempt(db, claim, {
      status: 'sent',
      at: now(),
      eraseData: isSecret(claim),
    });
    if (!isRecorded) {
      // Sent after the lease was renewed, but the send outlived the lease too (a send slower than
      // leaseMs): another claim holds the row now. Said loudly: leaseMs is too short for this SMTP server.
      logger.warn('email sent after its lease expired: it may be sent twice; raise the lease', {
        outboxId: claim.id,
        kind: claim.kind,
      });
    }
    return 'sent';
  }

  async function recordFailure(
    claim: ClaimedEmail,
    error: unknown,
    isPermanent = isPermanentSmtpError(error),
  ): Promise<keyof DrainResult> {
    const message = String(error).slice(0, 1000);
    if (isPermanent || claim.attempts >= maxAttempts) {
      logger.error('email not delivered, given up', {
        outboxId: claim.id,
        kind: claim.kind,
        attempts: claim.attempts,
        error: message,
      });
      await finishEmailAttempt(db, claim, {
        status: 'failed',
        at: now(),
        error: message,
        eraseData: isSecret(claim),
      });
      return 'failed';
    }
    const delay = backoff[Math.min(claim.attempts, backoff.length) - 1] ?? 60_000;
    logger.warn('email delivery failed, will retry', {
      outboxId: claim.id,
      kind: claim.kind,
      attempts: claim.attempts,
      retryInMs: delay,
      error: message,
    });
    const at = now();
    await finishEmailAttempt(db, claim, {
      status: 'retry',
      at,
      nextAttemptAt: new Date(at.getTime() + delay),
      error: message,
    });
    return 'retried';
  }

  /** One pass: claims a batch and delivers it (one message at a time: SMTP servers throttle bursts). */
  async function drainOnce(): Promise<DrainResult> {
    return (await drainPass()).pass;
  }

  async function drainPass(): Promise<{ pass: DrainResult; claimed: number; isLoginRefused: boolean }> {
    const result: DrainResult = { sent: 0, retried: 0, failed: 0, skipped: 0 };
    const state: PassState = { loginError: undefined };
    const claims = await claimDueEmails(db, { now: now(), limit: batchSize, leaseMs });
    for (const claim of claims) {
      // Once the server refused our login, every other send of the pass would be refused alike: the rest
      // are recorded as that failure without logging in again (repeated failed logins can get the
      // account or address locked out). Their claims already counted the attempt: giving it back would
      // take an un-claim the attempt-number fence doesn't offer.
      const outcome =
        state.loginError === undefined
          ? await deliver(claim, state)
          : await recordFailure(claim, state.loginError);
      if (outcome !== 'lost') result[outcome] += 1;
    }
    return { pass: result, claimed: claims.length, isLoginRefused: state.loginError !== undefined };
  }

  /** Passes until nothing is due (tests, and the server after a kick). */
  async function drain(): Promise<DrainResult> {
    const total: DrainResult = { sent: 0, retried: 0, failed: 0, skipped: 0 };
    for (;;) {
      const { pass, claimed, isLoginRefused } = await drainPass();
      for (const key of Object.keys(total) as (keyof DrainResult)[]) total[key] += pass[key];
      // A refused login stops the drain too: the rows not yet claimed keep their attempts for later passes.
      if (claimed < batchSize || isLoginRefused) return total;
    }
  }

  return { drainOnce, drain };
}

export type EmailWorker = ReturnType<typeof createEmailWorker>;

/** nodemailer's code for a refused login: bad, rotated or expired SMTP credentials, our side's outage. */
function isLoginRefused(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EAUTH';
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname || 'tollgate';
  } catch {
    return 'tollgate';
  }
}
