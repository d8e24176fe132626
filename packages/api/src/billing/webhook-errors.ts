import type { WebhookFailureCode } from '@tollgate/db';
import { isAppError } from '@tollgate/domain';
import { isResourceMissing } from './stripe-errors';

export type { WebhookFailureCode };

/**
 * A webhook that can never succeed as delivered: the object is gone at Stripe, the payload has a shape
 * Tollgate can't read, or no account owns it. Retrying can't help, so it is recorded with its reason,
 * answered 200 (Stripe stops retrying) and listed for operators, who fix the cause and replay it.
 * Everything else (network, timeouts, Stripe 5xx/429, serialization failures, a lost database
 * connection, and any error not known to be permanent) is retryable: 500, and Stripe tries again.
 */
export class PermanentWebhookError extends Error {
  override readonly name = 'PermanentWebhookError';
  constructor(
    readonly code: WebhookFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** The permanent failure an error stands for, or null when it is retryable. */
export function permanentFailureOf(error: unknown): PermanentWebhookError | null {
  if (error instanceof PermanentWebhookError) return error;
  // A 404 `resource_missing`: "No such subscription: 'sub_…'" (deleted, test data cleared, other account).
  if (isResourceMissing(error)) {
    return new PermanentWebhookError('object_missing', error.message);
  }
  return null;
}

/**
 * Runs one of the domain's Stripe parsers (which throw AppError BAD_REQUEST "Malformed Stripe …"), and
 * turns a refusal into a typed permanent failure with the zod issues in its reason.
 */
export function parsePermanently<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isAppError(error, 'BAD_REQUEST')) {
      throw new PermanentWebhookError('malformed_event', describeParseError(error.message, error.details));
    }
    throw error;
  }
}

function describeParseError(message: string, details: Record<string, unknown> | undefined): string {
  const issues = Array.isArray(details?.['issues']) ? (details['issues'] as unknown[]) : [];
  const listed = issues
    .slice(0, 5)
    .map((issue) => {
      const { path, message: text } = issue as { path?: unknown; message?: unknown };
      return `${typeof path === 'string' && path !== '' ? path : '(root)'}: ${String(text)}`;
    })
    .join('; ');
  return listed ? `${message} (${listed})` : message;
}
