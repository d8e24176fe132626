import type { TaskOwner } from './task-runner';

/** Cap on remembered lost starts: a run nobody resends stays charged (its estimate) either way. */
const MAX_LOST_STARTS = 10_000;

/**
 * The attempt ids of starts this process could not confirm (in memory, like the task runner: a
 * restart forgets them, and a resend then gets 409 RUN_ALREADY_STARTED).
 */
export function createLostStarts() {
  const byRun = new Map<string, string>();
  const key = ({ userId, accountId }: TaskOwner, runId: string) =>
    `${accountId ?? ''}\u0000${userId}\u0000${runId}`;
  return {
    put(owner: TaskOwner, runId: string, attemptId: string) {
      if (byRun.size >= MAX_LOST_STARTS) byRun.delete(byRun.keys().next().value ?? '');
      byRun.set(key(owner, runId), attemptId);
    },
    take(owner: TaskOwner, runId: string): string | undefined {
      const attemptId = byRun.get(key(owner, runId));
      byRun.delete(key(owner, runId));
      return attemptId;
    },
  };
}
