/** The commands whose replies judge the recipient or the message rather than our session. */
const MESSAGE_COMMANDS: ReadonlySet<unknown> = new Set(['RCPT TO', 'DATA']);

/**
 * True when retrying the same message cannot help: the server refused the recipient or the message
 * itself — a 5xx reply to RCPT TO or DATA (550 mailbox unavailable, 553 bad address, 554 content
 * rejected) — or nodemailer refused the envelope before connecting (no or malformed recipients).
 *
 * Everything else is worth retrying, 5xx replies included when they answer the greeting, EHLO, AUTH or
 * MAIL FROM: those judge our session, not this message (535 at AUTH after an SMTP password was rotated,
 * 530/554 for a sender the provider no longer accepts). They fail every email alike until our side is
 * fixed, so treating them as permanent would drop the whole outbox; retries are bounded anyway. So is
 * 503 (bad sequence of commands): the session was out of step, a new one can succeed. Refused
 * connections, timeouts and 4xx replies (421, 450 greylisting) are transient by definition.
 *
 * Reads nodemailer's error fields: `code` (EENVELOPE, EMESSAGE, EAUTH, ECONNECTION, …), `responseCode`
 * (the reply's number, absent when the server said nothing) and `command` (what the reply answered).
 */
export function isPermanentSmtpError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, responseCode, command } = error as Record<string, unknown>;
  if (typeof responseCode !== 'number') return code === 'EENVELOPE';
  return responseCode >= 500 && responseCode < 600 && responseCode !== 503 && MESSAGE_COMMANDS.has(command);
}
