import { toTollgateError } from '@tollgate/sdk';

const UNREACHABLE = "Can't reach Tollgate right now. Check your connection and try again.";
const TOO_SLOW = 'Tollgate took too long to answer. Try again in a moment.';
const SERVER_FAILED = 'Something went wrong on our side. Try again in a moment.';

/** A sentence safe to show the user, whatever a call threw. */
export function errorMessage(error: unknown): string {
  const failure = toTollgateError(error);
  if (failure.code === 'NETWORK_ERROR') return UNREACHABLE;
  if (failure.code === 'TIMEOUT') return TOO_SLOW;
  // The server's own sentence: the run was charged and flagged, and sending again won't charge again.
  if (failure.code === 'AGENT_UNCONFIRMED' && failure.message) return failure.message;
  if (failure.httpStatus !== null && failure.httpStatus >= 500) return SERVER_FAILED;
  const fields = failure.fieldErrors ? Object.entries(failure.fieldErrors) : [];
  const fieldMessages = fields.flatMap(([field, messages]) => (messages ?? []).map((m) => `${field} ${m}`));
  if (fieldMessages.length > 0) return capitalize(fieldMessages.join('; '));
  return failure.message || SERVER_FAILED;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
