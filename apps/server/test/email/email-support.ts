import { listOutboxEmails, type EmailOutboxRow } from '@tollgate/db';
import { expect } from 'vitest';
import type { RunningServer } from '../../src/server';
import { startServerOnDatabaseOf, startTestServer, type TestServer } from '../support/test-server';

// The email tests read what a user would find in their mailbox straight from the outbox table: the
// outbox worker is off (EMAIL_OUTBOX_INTERVAL_MS=0), so rows keep their data (a sent row's secret link
// is erased) and nothing races the assertions.

export const APP_URL = 'http://app.tollgate.test';
export const PASSWORD = 'correct horse battery';
export const NO_OUTBOX_WORKER = { EMAIL_OUTBOX_INTERVAL_MS: '0' };

export function startEmailTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer({ ...NO_OUTBOX_WORKER, ...env });
}

/**
 * A second server process over the same database (its own services, so its own in-memory state):
 * whatever holds across the two is kept in the database.
 */
export function startSecondServer(first: TestServer): Promise<RunningServer> {
  return startServerOnDatabaseOf(first, NO_OUTBOX_WORKER);
}

/** The outbox rows addressed to `address`, oldest first (optionally of one kind). */
export async function outboxFor(
  server: TestServer,
  address: string,
  kind?: string,
): Promise<EmailOutboxRow[]> {
  const rows = await listOutboxEmails(server.testDb.db);
  return rows.filter((row) => row.toAddress === address && (kind === undefined || row.kind === kind));
}

/** The one link of `field` in the newest outbox email of `kind` to `address`. */
export async function linkFor(
  server: TestServer,
  address: string,
  kind: 'verify_email' | 'password_reset' | 'team_invitation',
): Promise<string> {
  const rows = await outboxFor(server, address, kind);
  const field = { verify_email: 'verifyUrl', password_reset: 'resetUrl', team_invitation: 'acceptUrl' }[kind];
  const link = rows.at(-1)?.data?.[field];
  expect(typeof link, `a ${kind} email to ${address}`).toBe('string');
  return String(link);
}

/** The token in a link's fragment (`…#token=<token>`). */
export function tokenOf(link: string): string {
  const token = new URLSearchParams(new URL(link).hash.slice(1)).get('token');
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return token ?? '';
}
