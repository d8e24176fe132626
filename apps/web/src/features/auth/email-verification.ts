import { errorCode } from '../../lib/app-error';

/** The server refuses trials and checkouts until the address is verified (403, this code). */
export function isEmailNotVerified(error: unknown): boolean {
  return errorCode(error) === 'EMAIL_NOT_VERIFIED';
}

/** Said next to a refused or disabled trial / checkout button. */
export function verifyFirstMessage(email: string | null | undefined): string {
  const where = email ? `the link we sent to ${email}` : 'the link we emailed you';
  return `Verify your email address first: open ${where}, or resend it from the notice at the top of the page.`;
}
