import { isAppError } from '@tollgate/domain';
import type { RunAuthorization } from './usage-service';

/**
 * The metrics label of a reservation that answered: admitted, a replay of an earlier answer, or the
 * replay of a run since released (its callers refuse it: RUN_RELEASED).
 */
export function authorizedCodeOf(authorization: Pick<RunAuthorization, 'isReplay' | 'state'>): string {
  if (authorization.state === 'released') return 'RUN_RELEASED';
  return authorization.isReplay ? 'REPLAYED' : 'ADMITTED';
}

/**
 * The metrics label of an authorize that was refused: a 402's own code (which limit was hit), the
 * AppError code of a 409 or 404, `ERROR` for anything unexpected. All from closed sets: bounded labels.
 */
export function refusedCodeOf(error: unknown): string {
  if (!isAppError(error)) return 'ERROR';
  if (error.code !== 'PAYMENT_REQUIRED') return error.code;
  const body = error.details?.['body'] as { error?: { code?: unknown } } | undefined;
  const code = body?.error?.code;
  return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : 'PAYMENT_REQUIRED';
}
