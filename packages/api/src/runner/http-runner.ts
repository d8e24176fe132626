import { createHash } from 'node:crypto';
import { AgentBackendError, type AgentRunner } from './agent-runner';

/**
 * Errors that happen before a single byte of the request left this machine: the backend can't have
 * started anything. Anything else (a reset, a timeout) may come after the backend read the request.
 */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_INVALID_URL']);

/**
 * The Idempotency-Key of one run: the same for every request about that run, and different for
 * another account's run with the same run id. Run ids are chosen by users and unique only per
 * account, so the run id alone would let a backend answer one tenant's run with another's reply. A
 * digest (rather than the two ids joined) keeps the header a fixed length of safe characters.
 */
function runIdempotencyKey(accountId: string, runId: string): string {
  return createHash('sha256')
    .update(JSON.stringify(['tollgate-run', accountId, runId]), 'utf8')
    .digest('hex');
}

/**
 * Forwards a run to the host platform's agent backend (AGENT_BACKEND_URL), under the contract in
 * docs/agent-backend.md: the backend is idempotent on the Idempotency-Key header (one per run),
 * answers 2xx as soon as the task has started (not when it finishes), and answers
 * `{ "status": "not_started" }` (any non-2xx status) when it refused the task without starting it.
 * Only a refused connection or that explicit answer releases the run; a timeout or another error
 * leaves it charged (the agent may be working).
 */
export function createHttpRunner(backendUrl: string, timeoutMs = 30_000): AgentRunner {
  return {
    name: 'http',
    async start(request) {
      let response: Response;
      try {
        response = await fetch(backendUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': runIdempotencyKey(request.accountId, request.runId),
          },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const code = causeCodeOf(error);
        const outcome = code && NOT_SENT_CODES.has(code) ? 'not_started' : 'unknown';
        throw new AgentBackendError(`agent backend: ${code ?? (error as Error).name}`, outcome);
      }
      const body = (await response.json().catch(() => null)) as { reply?: unknown; status?: unknown } | null;
      if (!response.ok) {
        const outcome = body?.status === 'not_started' ? 'not_started' : 'unknown';
        throw new AgentBackendError(`agent backend answered HTTP ${response.status}`, outcome);
      }
      return { reply: typeof body?.reply === 'string' ? body.reply : '' };
    },
  };
}

function causeCodeOf(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
