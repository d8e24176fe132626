import { createHmac } from 'node:crypto';
import { postJson, type Attempt } from './authorize-load';

/**
 * A host platform's HS256 token for `userId` (what AI-Manus issues): signed with the server's
 * JWT_SECRET, `sub` = the user id. Built by hand to keep the suite free of a JWT library.
 */
export function hostToken(secret: string, userId: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const issuedAt = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    sub: userId,
    iss: 'fault-suite-host',
    iat: issuedAt,
    exp: issuedAt + 3600,
  })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

export interface SessionRunLoad {
  readonly attempts: Attempt[];
  stop(): Promise<Attempt[]>;
}

/**
 * `sessions.run` (`POST /api/v1/sessions/:id/runs`) from `concurrency` end users: the metered route,
 * whose start, run record and settlement are transactions. Each user creates a session and sends
 * `runsPerUser` runs, then the next user takes over. Unanswered runs are not retried here.
 */
export function startSessionRunLoad(
  baseUrl: () => string,
  jwtSecret: string,
  { concurrency, prefix, runsPerUser }: { concurrency: number; prefix: string; runsPerUser: number },
  now: () => number,
): SessionRunLoad {
  const attempts: Attempt[] = [];
  let nextUser = 0;
  let isStopped = false;
  const pause = () => new Promise((resolve) => setTimeout(resolve, 100));

  async function client(): Promise<void> {
    while (!isStopped) {
      const userId = `${prefix}-s${nextUser}`;
      nextUser += 1;
      const token = hostToken(jwtSecret, userId);
      let sessionId: string | null = null;
      while (!isStopped && sessionId === null) {
        const created = await fetch(`${baseUrl()}/api/v1/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: '{}',
          signal: AbortSignal.timeout(30_000),
        })
          .then(async (response) =>
            response.status === 201 ? ((await response.json()) as { id: string }) : null,
          )
          .catch(() => null);
        if (created) sessionId = created.id;
        else await pause();
      }
      for (let run = 0; sessionId !== null && run < runsPerUser && !isStopped; run += 1) {
        const attempt = await postJson(
          baseUrl(),
          `/api/v1/sessions/${sessionId}/runs`,
          token,
          { runId: `${userId}-r${run}`, message: 'fault suite task' },
          now,
        );
        attempts.push({ ...attempt, userId, runId: `${userId}-r${run}` });
        if (attempt.status === null || attempt.status >= 500) await pause();
      }
    }
  }

  const clients = Array.from({ length: concurrency }, () => client());
  return {
    attempts,
    async stop() {
      isStopped = true;
      await Promise.all(clients);
      return attempts;
    },
  };
}
