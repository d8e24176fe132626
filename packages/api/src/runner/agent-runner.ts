/**
 * Starts one agent task. Tollgate has reserved the run and moved it to `started` (once per run id)
 * before calling this; the contract with the backend is in docs/agent-backend.md.
 */
export interface AgentRunner {
  readonly name: string;
  start(request: AgentRunRequest): Promise<AgentRunResult>;
}

export interface AgentRunRequest {
  /** The billing account the run is charged to: run ids are the caller's, unique only per account. */
  accountId: string;
  userId: string;
  runId: string;
  sessionId: string;
  message: string;
}

export interface AgentRunResult {
  reply: string;
}

/**
 * The backend did not acknowledge the start. `not_started`: it proved nothing started (the connection
 * was refused, or it answered the contract's explicit "not started") — the run is released.
 * `unknown`: the request may have reached it (timeout, a 5xx, a malformed answer) — the agent may be
 * working, so the run stays charged and is flagged for operators.
 */
export class AgentBackendError extends Error {
  override readonly name = 'AgentBackendError';
  constructor(
    message: string,
    readonly outcome: 'not_started' | 'unknown',
  ) {
    super(message);
  }
}
