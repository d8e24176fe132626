import { AgentBackendError, type AgentRunner } from './agent-runner';

/** Forwards a run to the host platform's agent backend (AGENT_BACKEND_URL). */
export function createHttpRunner(backendUrl: string, timeoutMs = 30_000): AgentRunner {
  return {
    name: 'http',
    async start(request) {
      let response: Response;
      try {
        response = await fetch(backendUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (cause) {
        throw new AgentBackendError(`agent backend unreachable: ${(cause as Error).message}`);
      }
      if (!response.ok) throw new AgentBackendError(`agent backend answered HTTP ${response.status}`);
      const body = (await response.json().catch(() => null)) as { reply?: unknown } | null;
      return { reply: typeof body?.reply === 'string' ? body.reply : '' };
    },
  };
}
