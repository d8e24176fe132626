/**
 * The one place that decides whether an error means "the database can't be reached right now" (a
 * restart, a failover, a terminated connection, a pool that can't hand out a connection in time), as
 * opposed to a bug or a refused statement. Such a request failed as a whole and may be retried as is:
 * the server answers 503 with Retry-After, and a grouped reservation fails all its callers instead of
 * retrying each of them against a database that is gone.
 */

/**
 * SQLSTATEs of a connection that is lost or refused (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * class 08 (connection exception) and these operator-intervention / resource codes.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: terminating connection due to administrator command (restart, pg_terminate_backend)
  '57P02', // crash_shutdown: another backend crashed, every connection is reset
  '57P03', // cannot_connect_now: the database system is starting up / shutting down / in recovery
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
  '25P03', // idle_in_transaction_session_timeout
]);

/** Node socket errors on the way to the database server. */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * What node-postgres and its pool say when the socket is gone or no connection could be had in time.
 * They carry no code, so their messages are matched (stable across pg 8.x).
 */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout"
  /^timeout exceeded when trying to connect$/, // pool acquisition timeout (connectionTimeoutMillis)
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^Query read timeout$/,
];

function isUnavailableCode(code: unknown): boolean {
  if (typeof code !== 'string') return false;
  return code.startsWith('08') && code.length === 5
    ? true
    : UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code);
}

/**
 * True when `error` (or anything in its `cause` chain, or one of an AggregateError's errors, as drizzle,
 * tRPC and Node wrap them) says the database is unreachable or the connection was lost.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.size < 20) {
    const current = pending.shift();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if (isUnavailableCode((current as { code?: unknown }).code)) return true;
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) {
      return true;
    }
    pending.push((current as { cause?: unknown }).cause);
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors)) pending.push(...errors);
  }
  return false;
}
