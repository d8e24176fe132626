import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the double answers the next requests (the edge Tollgate doesn't own: a host's agent backend). */
export type AgentBackendBehavior =
  /** Started; answered after `delayMs`, or once `until` resolves (a run held under way until the test says). */
  | { kind: 'start'; delayMs?: number; until?: Promise<void>; reply?: string }
  /** The contract's explicit "nothing started" answer. */
  | { kind: 'not_started' }
  /** A 500 after reading the request: the agent may be working. */
  | { kind: 'error' };

/** One request as the double received it: the JSON body and its Idempotency-Key header. */
export interface AgentBackendRequest {
  accountId: string;
  userId: string;
  runId: string;
  sessionId: string;
  message: string;
  idempotencyKey: string;
}

export interface AgentBackendDouble {
  url: string;
  /** Every request received, in order (replays of a started task included). */
  readonly requests: AgentBackendRequest[];
  /** Every task it started, in order: one per Idempotency-Key, as docs/agent-backend.md asks. */
  readonly tasks: AgentBackendRequest[];
  behave(behavior: AgentBackendBehavior): void;
  /** Requests Tollgate sent to start this run id (in any account), replays included. */
  startsOf(runId: string): number;
  /** Forgets requests, tasks and the answers it would replay (between tests). */
  reset(): void;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  json: unknown;
}

/**
 * A real HTTP server standing in for AGENT_BACKEND_URL that follows the contract: idempotent on the
 * Idempotency-Key header (a second request with a started task's key gets the first answer and starts
 * nothing), so a key shared by two different runs shows up as one run getting the other's reply.
 */
export async function startAgentBackendDouble(): Promise<AgentBackendDouble> {
  let behavior: AgentBackendBehavior = { kind: 'start' };
  const requests: AgentBackendRequest[] = [];
  const tasks: AgentBackendRequest[] = [];
  // The answer of each started task by key; kept as a promise so a concurrent duplicate waits for it.
  const answers = new Map<string, Promise<Answer>>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const idempotencyKey = String(req.headers['idempotency-key'] ?? '');
      const parsed = { ...(JSON.parse(body) as Omit<AgentBackendRequest, 'idempotencyKey'>), idempotencyKey };
      requests.push(parsed);
      const send = ({ status, json }: Answer) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const replay = answers.get(idempotencyKey);
      if (replay) return void replay.then(send);
      if (behavior.kind === 'not_started') return send({ status: 503, json: { status: 'not_started' } });
      if (behavior.kind === 'error') return send({ status: 500, json: { error: 'boom' } });
      tasks.push(parsed);
      const { delayMs = 0, until, reply = `working on ${parsed.runId}` } = behavior;
      const answer = new Promise<void>((resolve) => setTimeout(resolve, delayMs))
        .then(() => until)
        .then((): Answer => ({ status: 202, json: { status: 'started', reply } }));
      answers.set(idempotencyKey, answer);
      void answer.then(send);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/runs`,
    requests,
    tasks,
    behave(next) {
      behavior = next;
    },
    startsOf: (runId) => requests.filter((r) => r.runId === runId).length,
    reset() {
      requests.length = 0;
      tasks.length = 0;
      answers.clear();
      behavior = { kind: 'start' };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
