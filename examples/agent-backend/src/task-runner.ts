import { randomUUID } from 'node:crypto';

/** Whose task: the user, and the team account it runs for (null: the user's personal account). */
export interface TaskOwner {
  userId: string;
  accountId: string | null;
}

export interface AgentTask extends TaskOwner {
  id: string;
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
  prepare(input: TaskOwner & { runId: string; prompt: string }): Promise<TaskSlot>;
  /** The task a run id started, if this process remembers it (a client's retry gets it back). */
  findByRunId(owner: TaskOwner, runId: string): AgentTask | null;
}

/** Stands in for the real agent pool: remembers the tasks it "started" (until a restart). */
export function createInMemoryTaskRunner(): TaskRunner {
  const byRun = new Map<string, AgentTask>();
  const key = ({ userId, accountId }: TaskOwner, runId: string) =>
    `${accountId ?? ''}\u0000${userId}\u0000${runId}`;
  return {
    async prepare({ userId, accountId, runId, prompt }) {
      return {
        begin() {
          const task = { id: randomUUID(), userId, accountId, runId, prompt, startedAt: new Date() };
          byRun.set(key(task, runId), task);
          return task;
        },
        cancel() {},
      };
    },
    findByRunId(owner, runId) {
      return byRun.get(key(owner, runId)) ?? null;
    },
  };
}
