/**
 * True when retrying the same message cannot help: the server answered with a 5xx reply (550
 * mailbox unavailable, 553 bad address, …) or nodemailer refused the envelope before connecting
 * (no or malformed recipients). Everything else — refused connections, timeouts, 4xx replies such
 * as 421/450 greylisting — is worth retrying.
 */
export function isPermanentSmtpError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const responseCode = 'responseCode' in error ? error.responseCode : undefined;
  if (typeof responseCode === 'number') return responseCode >= 500 && responseCode < 600;
  const code = 'code' in error ? error.code : undefined;
  return code === 'EENVELOPE';
}
