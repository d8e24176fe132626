import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the double answers the next requests (the edge Tollgate doesn't own: a host's agent backend). */
export type AgentBackendBehavior =
  | { kind: 'start'; delayMs?: number; reply?: string }
  /** The contract's explicit "nothing started" answer. */
  | { kind: 'not_started' }
  /** A 500 after reading the request: the agent may be working. */
  | { kind: 'error' };

export interface AgentBackendDouble {
  url: string;
  /** Every request received, in order (a run id per start request). */
  readonly requests: Array<{ runId: string; userId: string; sessionId: string; message: string }>;
  behave(behavior: AgentBackendBehavior): void;
  startsOf(runId: string): number;
  close(): Promise<void>;
}

/** A real HTTP server standing in for AGENT_BACKEND_URL, counting what Tollgate asks it to start. */
export async function startAgentBackendDouble(): Promise<AgentBackendDouble> {
  let behavior: AgentBackendBehavior = { kind: 'start' };
  const requests: AgentBackendDouble['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const parsed = JSON.parse(body) as AgentBackendDouble['requests'][number];
      requests.push(parsed);
      const answer = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (behavior.kind === 'not_started') return answer(503, { status: 'not_started' });
      if (behavior.kind === 'error') return answer(500, { error: 'boom' });
      const { delayMs = 0, reply = `working on ${parsed.runId}` } = behavior;
      setTimeout(() => answer(202, { status: 'started', reply }), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/runs`,
    requests,
    behave(next) {
      behavior = next;
    },
    startsOf: (runId) => requests.filter((r) => r.runId === runId).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
