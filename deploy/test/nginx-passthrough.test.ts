import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecordingUpstream, type RecordingUpstream } from '../src/http/recording-upstream';
import { send, sendUpgrade, type SendOptions } from '../src/http/send';
import { startLocalEdge, type LocalEdge } from '../src/nginx/local-edge';
import { REPO_ROOT } from '../src/repo-root';

// What nginx hands the API server, observed on a recording upstream (the real server doesn't expose
// raw bodies or proxy headers). e2e-server.test.ts runs the same config in front of the real server.
const WEBHOOK_SECRET = 'whsec_deploy_test_secret';

describe('nginx → upstream: what the server receives', () => {
  let upstream: RecordingUpstream;
  let edge: LocalEdge;
  const https = (options: Omit<SendOptions, 'scheme' | 'port' | 'host' | 'ca'>) =>
    send({ scheme: 'https', port: edge.httpsPort, host: edge.domain, ca: edge.ca, ...options });
  const lastRequest = () => upstream.requests.at(-1);

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    edge = await startLocalEdge(REPO_ROOT, upstream.address);
  });
  afterAll(async () => {
    await edge?.stop();
    await upstream?.close();
  });

  it('passes a Stripe webhook body through byte for byte, and its signature verifies', async () => {
    // Formatting a re-serializer would change: CRLF, tabs, trailing spaces, non-ASCII, no final newline.
    const payload = `{\r\n\t"id": "evt_deploy_1",  \r\n\t"object": "event",\r\n\t"type": "invoice.paid",\r\n\t"data": {"object": {"description": "Plan Pro – 20 € ✓"}}\r\n}`;
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const sent = Buffer.from(payload, 'utf8');

    const reply = await https({
      method: 'POST',
      path: '/api/v1/billing/webhook',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
      body: sent,
    });

    expect(reply.status).toBe(200);
    const received = lastRequest();
    expect(received?.url).toBe('/api/v1/billing/webhook');
    expect(received?.body.equals(sent)).toBe(true);
    expect(received?.headers['content-length']).toBe(String(sent.length));
    expect(received?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(received?.headers['stripe-signature']).toBe(signature);
    const event = Stripe.webhooks.constructEvent(
      received?.body ?? Buffer.alloc(0),
      signature,
      WEBHOOK_SECRET,
    );
    expect(event.id).toBe('evt_deploy_1');
  });

  it('accepts webhook bodies over the general 1 MB limit, which other API routes refuse', async () => {
    const large = Buffer.from(
      JSON.stringify({ id: 'evt_large', object: 'event', pad: 'x'.repeat(1_500_000) }),
    );
    const webhook = await https({ method: 'POST', path: '/api/v1/billing/webhook', body: large });
    expect(webhook.status).toBe(200);
    expect(lastRequest()?.body.equals(large)).toBe(true);

    const other = await https({ method: 'POST', path: '/api/v1/sessions', body: large });
    expect(other.status).toBe(413);
  });

  it('replaces a client-sent X-Forwarded-For with the address nginx saw, and adds the proxy headers', async () => {
    const reply = await https({
      path: '/api/v1/health',
      localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9' },
    });

    expect(reply.status).toBe(200);
    const headers = lastRequest()?.headers ?? {};
    expect(headers['x-forwarded-for']).toBe('127.0.0.2');
    expect(headers['x-real-ip']).toBe('127.0.0.2');
    expect(headers['x-forwarded-proto']).toBe('https');
    expect(headers['x-forwarded-host']).toBe(edge.domain);
    expect(headers.host).toBe(edge.domain);
    expect(headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('adds no security headers of its own to API responses (the server sends them)', async () => {
    const reply = await https({ path: '/api/v1/health' });
    expect(reply.headers['strict-transport-security']).toBeUndefined();
    expect(reply.headers['content-security-policy']).toBeUndefined();
  });

  it('upgrades WebSocket connections on /ws/', async () => {
    const reply = await sendUpgrade({
      port: edge.httpsPort,
      host: edge.domain,
      ca: edge.ca,
      path: '/ws/runs',
    });

    expect(reply.status).toBe(101);
    const received = lastRequest();
    expect(received?.isUpgrade).toBe(true);
    expect(received?.url).toBe('/ws/runs');
    expect(received?.headers.upgrade).toBe('websocket');
    expect(received?.headers.connection?.toLowerCase()).toBe('upgrade');
  });

  it('rate-limits the auth routes per client address, batched calls included, and nothing else', async () => {
    const login = () =>
      https({
        method: 'POST',
        path: '/api/trpc/auth.login',
        localAddress: '127.0.0.3',
        headers: { 'content-type': 'application/json' },
        body: '{"email":"a@example.com","password":"wrong-password"}',
      });
    const replies = [];
    for (let attempt = 0; attempt < 24; attempt += 1) replies.push(await login());

    // burst=20 on top of the first request: 21 reach the server (its own 401s), then nginx answers.
    expect(replies.slice(0, 21).map((reply) => reply.status)).toEqual(Array(21).fill(401));
    const limited = replies.at(-1);
    expect(limited?.status).toBe(429);
    expect(limited?.headers['content-type']).toBe('application/json');
    expect(limited?.headers['retry-after']).toBe('60');
    expect(limited?.json()).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS' } });

    const batched = await https({
      method: 'POST',
      path: '/api/trpc/usage.current,auth.refresh?batch=1',
      localAddress: '127.0.0.3',
      body: '{}',
    });
    expect(batched.status).toBe(429);

    const restLogin = await https({
      method: 'POST',
      path: '/api/v1/auth/login',
      localAddress: '127.0.0.3',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(restLogin.status).toBe(429);
    // The server's routes ignore case: so does the limit.
    for (const path of ['/api/V1/AUTH/LOGIN', '/api/TRPC/auth.login', '/api/v1/Auth/Refresh']) {
      const shouted = await https({ method: 'POST', path, localAddress: '127.0.0.3', body: '{}' });
      expect([path, shouted.status]).toEqual([path, 429]);
    }

    const otherClient = await https({
      method: 'POST',
      path: '/api/trpc/auth.login',
      localAddress: '127.0.0.4',
      body: '{}',
    });
    expect(otherClient.status).toBe(401);

    const notAuth = await https({ path: '/api/v1/health', localAddress: '127.0.0.3' });
    expect(notAuth.status).toBe(200);
  });

  it('answers 503 JSON, not an HTML error page, while the server is down', async () => {
    await upstream.close();
    const reply = await https({ path: '/api/v1/health' });

    expect(reply.status).toBe(503);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
  });
});
