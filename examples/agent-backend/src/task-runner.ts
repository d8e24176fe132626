import { randomUUID } from 'node:crypto';

export interface AgentTask {
  id: string;
  userId: string;
  runId: string;
  prompt: string;
  startedAt: Date;
}

export interface TaskRunner {
  /** Hands the task to the agent. Throws when it can't: nothing started, so the run gets released. */
  start(input: { userId: string; runId: string; prompt: string }): Promise<AgentTask>;
  /** The task a run id already started, so a client's retry doesn't start a second one. */
  findByRunId(userId: string, runId: string): AgentTask | null;
}

/** Stands in for the real agent pool: remembers the tasks it "started". */
export function createInMemoryTaskRunner(): TaskRunner {
  const byRun = new Map<string, AgentTask>();
  const key = (userId: string, runId: string) => `${userId}\u0000${runId}`;
  return {
    async start({ userId, runId, prompt }) {
      const task = { id: randomUUID(), userId, runId, prompt, startedAt: new Date() };
      byRun.set(key(userId, runId), task);
      return task;
    },
    findByRunId(userId, runId) {
      return byRun.get(key(userId, runId)) ?? null;
    },
  };
}
