import { afterEach, describe, expect, it } from 'vitest';
import { startDroppingUpstream, type DroppingUpstream } from '../src/http/dropping-upstream';
import { freePort } from '../src/http/free-port';
import { startRecordingUpstream, type RecordingUpstream } from '../src/http/recording-upstream';
import { send, type Reply } from '../src/http/send';
import { readAccessLog } from '../src/nginx/access-log';
import { startLocalEdge, type LocalEdge } from '../src/nginx/local-edge';
import { REPO_ROOT } from '../src/repo-root';

// When nginx sends a request to another replica (tollgate/proxy.conf: proxy_next_upstream). Each case
// gets a fresh nginx: a replica that failed is skipped for a while (max_fails), which would hide the
// next case's first try.
describe('nginx → replicas: which failed requests go to another replica', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()));
  });

  async function edgeFor(upstreams: string[]): Promise<LocalEdge> {
    const edge = await startLocalEdge(REPO_ROOT, upstreams);
    cleanups.push(() => edge.stop());
    return edge;
  }
  async function dropping(): Promise<DroppingUpstream> {
    const upstream = await startDroppingUpstream();
    cleanups.push(() => upstream.close());
    return upstream;
  }
  async function recording(): Promise<RecordingUpstream> {
    const upstream = await startRecordingUpstream();
    cleanups.push(() => upstream.close());
    return upstream;
  }
  const call = (edge: LocalEdge, method: string, path: string): Promise<Reply> =>
    send({
      scheme: 'https',
      port: edge.httpsPort,
      host: edge.domain,
      ca: edge.ca,
      method,
      path,
      headers: { 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: '{"runId":"retry-1"}' } : {}),
    });
  /** The replicas nginx tried for the one logged request (it writes the line just after answering). */
  async function triedFor(edge: LocalEdge): Promise<string[]> {
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const [entry] = readAccessLog(edge.accessLog);
      if (entry) return entry.tried;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('nginx logged no request');
  }

  it('never sends a POST that reached a replica to another one: the client gets 503', async () => {
    const [a, b] = [await dropping(), await dropping()];
    const edge = await edgeFor([a.address, b.address]);

    const reply = await call(edge, 'POST', '/api/v1/usage/authorize');

    expect(reply.status).toBe(503);
    expect(reply.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    // Sent once: the replica that got it may have counted the run.
    expect(a.requests.length + b.requests.length).toBe(1);
    expect(await triedFor(edge)).toHaveLength(1);
  });

  it('sends a GET that reached a failing replica to the other one (once: two tries in all)', async () => {
    const [a, b] = [await dropping(), await dropping()];
    const edge = await edgeFor([a.address, b.address]);

    const reply = await call(edge, 'GET', '/api/v1/usage/balance');

    expect(reply.status).toBe(503);
    expect(a.requests).toEqual([{ method: 'GET', url: '/api/v1/usage/balance' }]);
    expect(b.requests).toEqual([{ method: 'GET', url: '/api/v1/usage/balance' }]);
    expect(await triedFor(edge)).toEqual([a.address, b.address]);
  });

  it('sends a POST refused at connect (a replica stopping) to the other one: it was never sent', async () => {
    // Nothing listens there. nginx's first request goes to the first server of the upstream.
    const stopped = `127.0.0.1:${await freePort()}`;
    const running = await recording();
    const edge = await edgeFor([stopped, running.address]);

    const reply = await call(edge, 'POST', '/api/v1/usage/authorize');

    expect(reply.status).toBe(200);
    expect(running.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /api/v1/usage/authorize',
    ]);
    expect(await triedFor(edge)).toEqual([stopped, running.address]);
  });
});
