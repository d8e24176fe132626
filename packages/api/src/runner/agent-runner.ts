/** Starts one agent task. Tollgate charges for the run before calling this; a throw refunds it. */
export interface AgentRunner {
  readonly name: string;
  start(request: AgentRunRequest): Promise<AgentRunResult>;
}

export interface AgentRunRequest {
  userId: string;
  runId: string;
  sessionId: string;
  message: string;
}

export interface AgentRunResult {
  reply: string;
}

export class AgentBackendError extends Error {
  override readonly name = 'AgentBackendError';
}
