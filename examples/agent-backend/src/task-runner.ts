import { randomUUID } from 'node:crypto';

export interface AgentTask {
  id: string;
  userId: string;
  runId: string;
  prompt: string;
  startedAt: Date;
}

/** A place in the agent pool, held between "can you take it?" and "go". */
export interface TaskSlot {
  /** Hands the task to the agent. Called only after Tollgate recorded the run's start. */
  begin(): AgentTask;
  /** Gives the place back (the run must not start after all). */
  cancel(): void;
}

export interface TaskRunner {
  /**
   * Asks the pool for a place for this task. Throws when it can't take it: nothing started, so the
   * error answer releases the run.
   */
  prepare(input: { userId: string; runId: string; prompt: string }): Promise<TaskSlot>;
  /** The task a run id started, if this process remembers it (a client's retry gets it back). */
  findByRunId(userId: string, runId: string): AgentTask | null;
}

/** Stands in for the real agent pool: remembers the tasks it "started" (until a restart). */
export function createInMemoryTaskRunner(): TaskRunner {
  const byRun = new Map<string, AgentTask>();
  const key = (userId: string, runId: string) => `${userId}\u0000${runId}`;
  return {
    async prepare({ userId, runId, prompt }) {
      return {
        begin() {
          const task = { id: randomUUID(), userId, runId, prompt, startedAt: new Date() };
          byRun.set(key(userId, runId), task);
          return task;
        },
        cancel() {},
      };
    },
    findByRunId(userId, runId) {
      return byRun.get(key(userId, runId)) ?? null;
    },
  };
}
