import type { AgentRunner } from './agent-runner';

/**
 * Used when AGENT_BACKEND_URL is not set, so the whole billing loop can be exercised without an agent.
 * It is not an agent: it answers with a short, deterministic acknowledgement, and says so.
 */
export function createLocalRunner(): AgentRunner {
  return {
    name: 'local',
    async start({ message, runId }) {
      const preview = message.length > 60 ? `${message.slice(0, 57)}…` : message;
      return {
        reply: `[local runner — no agent backend configured] Run ${runId} accepted: "${preview}"`,
      };
    },
  };
}
