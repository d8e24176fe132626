import { silentLogger } from '@tollgate/api';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import { parseEnv, startServer, type RunningServer } from '@tollgate/server';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, type SendOptions } from '../src/http/send';
import { ACME_TOKEN, ACME_TOKEN_BODY, FAKE_ASSET_PATH, FAKE_INDEX_MARKER } from '../src/nginx/fake-web-root';
import { startLocalEdge, type LocalEdge } from '../src/nginx/local-edge';
import { REPO_ROOT } from '../src/repo-root';
import { handshake } from '../src/tls/handshake';

const WEBHOOK_SECRET = 'whsec_deploy_e2e_secret';
const AUTH_LIMIT = 3;

// The shipped nginx config in front of the real server (in this process) on the test database,
// configured as docker-compose.prod.yml configures it.
describe('nginx in front of the real server', () => {
  let db: TestDbHandle;
  let server: RunningServer;
  let edge: LocalEdge;
  const https = (options: Omit<SendOptions, 'scheme' | 'port' | 'host' | 'ca'>) =>
    send({ scheme: 'https', port: edge.httpsPort, host: edge.domain, ca: edge.ca, ...options });
  const http = (options: Omit<SendOptions, 'scheme' | 'port' | 'host'> & { host?: string }) =>
    send({ scheme: 'http', port: edge.httpPort, host: edge.domain, ...options });

  beforeAll(async () => {
    db = await createTestDb();
    // Production settings, except NODE_ENV: production demands a DATABASE_URL, while this test hands
    // the server its database (PGlite, or a fresh PostgreSQL database under DATABASE_URL).
    // server-bundle.test.ts runs NODE_ENV=production; compose.test.ts validates the compose env.
    const env = parseEnv({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      APP_URL: 'https://tollgate.test',
      JWT_SECRET: 'deploy-e2e-secret-of-at-least-32-characters',
      STRIPE_SECRET_KEY: 'sk_test_deploy_e2e',
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_PRICE_ID_BASIC: 'price_deploy_basic',
      STRIPE_PRICE_ID_PRO: 'price_deploy_pro',
      STRIPE_PRICE_ID_TEAM: 'price_deploy_team',
      // As in docker-compose.prod.yml: nginx is the one trusted hop in front of the server.
      TRUST_PROXY: '1',
      AUTH_RATE_LIMIT_PER_MINUTE: String(AUTH_LIMIT),
      LOG_REQUESTS: 'false',
    });
    server = await startServer(env, { db, logger: silentLogger });
    edge = await startLocalEdge(REPO_ROOT, `127.0.0.1:${server.port}`);
  });
  afterAll(async () => {
    await edge?.stop();
    await server?.close();
    await db?.close();
  });

  describe('TLS and plain HTTP', () => {
    it('redirects HTTP to the same URL on HTTPS', async () => {
      const reply = await http({ path: '/settings/billing?tab=plan' });
      expect(reply.status).toBe(301);
      expect(reply.headers.location).toBe('https://tollgate.test/settings/billing?tab=plan');
    });

    it('serves ACME challenges over plain HTTP, without redirecting', async () => {
      const reply = await http({ path: `/.well-known/acme-challenge/${ACME_TOKEN}` });
      expect(reply.status).toBe(200);
      expect(reply.text()).toBe(ACME_TOKEN_BODY);
    });

    it('drops requests for other host names on HTTP and refuses their TLS handshake', async () => {
      await expect(http({ path: '/', host: 'attacker.example' })).rejects.toThrow(
        /socket hang up|ECONNRESET/,
      );
      await expect(
        handshake({ port: edge.httpsPort, servername: 'attacker.example', ca: edge.ca }),
      ).rejects.toThrow();
    });

    it('speaks TLS 1.3 with HTTP/2 and still TLS 1.2, with a certificate the client verifies', async () => {
      const modern = await handshake({ port: edge.httpsPort, servername: edge.domain, ca: edge.ca });
      expect(modern).toEqual({ protocol: 'TLSv1.3', alpnProtocol: 'h2' });
      const older = await handshake({
        port: edge.httpsPort,
        servername: edge.domain,
        ca: edge.ca,
        maxVersion: 'TLSv1.2',
      });
      expect(older.protocol).toBe('TLSv1.2');
    });
  });

  describe('the web app', () => {
    it('loads index.html with the security headers and no caching', async () => {
      const reply = await https({ path: '/' });
      expect(reply.status).toBe(200);
      expect(reply.text()).toContain(FAKE_INDEX_MARKER);
      expect(reply.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['x-frame-options']).toBe('DENY');
      expect(reply.headers['content-security-policy']).toContain("script-src 'self'");
      expect(reply.headers['cache-control']).toBe('no-cache');
    });

    it('serves index.html for client-side routes (SPA fallback)', async () => {
      const reply = await https({ path: '/settings/x' });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toMatch(/^text\/html/);
      expect(reply.text()).toContain(FAKE_INDEX_MARKER);
    });

    it('serves hashed bundles gzip-compressed and cacheable forever; a missing one is a 404', async () => {
      const asset = await https({ path: FAKE_ASSET_PATH, headers: { 'accept-encoding': 'gzip' } });
      expect(asset.status).toBe(200);
      expect(asset.headers['content-encoding']).toBe('gzip');
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');

      const missing = await https({ path: '/assets/index-00000000.js' });
      expect(missing.status).toBe(404);
      expect(missing.text()).not.toContain(FAKE_INDEX_MARKER);
    });
  });

  describe('the API', () => {
    it('answers health through nginx, with the request id nginx assigned', async () => {
      const reply = await https({ path: '/api/v1/health' });
      expect(reply.status).toBe(200);
      expect(reply.json()).toEqual({ status: 'ok', database: 'ok' });
      // The server keeps nginx's X-Request-Id (32 hex digits) instead of making its own UUID.
      expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
      // Security headers on API responses come from the server alone: one HSTS value, not two.
      expect(reply.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    });

    it('serves the API reference page from the server, not the SPA', async () => {
      const reply = await https({ path: '/docs' });
      expect(reply.status).toBe(200);
      expect(reply.text()).toContain('openapi.json');
      expect(reply.text()).not.toContain(FAKE_INDEX_MARKER);
    });

    it('routes unknown API paths to the server (JSON 404), never to the SPA', async () => {
      const reply = await https({ path: '/api/v1/nope' });
      expect(reply.status).toBe(404);
      expect(reply.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    });

    it('delivers a signed Stripe webhook that the server verifies, and rejects a changed body', async () => {
      const payload = `{\n  "id": "evt_deploy_e2e_1",\n  "object": "event",\n  "type": "customer.created",\n  "created": ${Math.floor(Date.now() / 1000)},\n  "data": { "object": { "id": "cus_deploy", "object": "customer", "name": "Zoë – €" } }\n}`;
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
      const headers = { 'content-type': 'application/json', 'stripe-signature': signature };

      const verified = await https({
        method: 'POST',
        path: '/api/v1/billing/webhook',
        headers,
        body: payload,
      });
      expect(verified.status).toBe(200);
      expect(verified.json()).toMatchObject({ received: true, eventId: 'evt_deploy_e2e_1' });

      const tampered = await https({
        method: 'POST',
        path: '/api/v1/billing/webhook',
        headers,
        body: payload.replace('Zoë', 'Zoe'),
      });
      expect(tampered.status).toBe(400);
    });
  });

  describe('client addresses reach the server (X-Forwarded-For → req.ip)', () => {
    const login = (localAddress: string, forwardedFor?: string) =>
      https({
        method: 'POST',
        path: '/api/trpc/auth.login',
        localAddress,
        headers: {
          'content-type': 'application/json',
          ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
        },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password' }),
      });

    /**
     * The server counts auth attempts in minute windows aligned to its clock (every replica agrees on
     * them): a burst that straddled a minute's end was split in two and never reached its 429 (it
     * failed CI once). Start each burst where it fits in one window.
     */
    const startOfRoomyWindow = async () => {
      const left = 60_000 - (Date.now() % 60_000);
      if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
    };

    it("limits each client on its own address: one client's 429 doesn't touch another", async () => {
      await startOfRoomyWindow();
      const first = [];
      for (let attempt = 0; attempt <= AUTH_LIMIT; attempt += 1)
        first.push((await login('127.0.0.5')).status);
      expect(first).toEqual([...Array(AUTH_LIMIT).fill(401), 429]);

      const limited = await login('127.0.0.5');
      // The server's own 429 (nginx's would carry no server request id; its limit is far higher).
      expect(limited.status).toBe(429);
      expect(limited.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);

      expect((await login('127.0.0.6')).status).toBe(401);
    });

    it('ignores X-Forwarded-For sent by the client: a rotating fake address is still one client', async () => {
      await startOfRoomyWindow();
      const statuses = [];
      for (let attempt = 0; attempt <= AUTH_LIMIT; attempt += 1) {
        statuses.push((await login('127.0.0.7', `198.51.100.${attempt + 1}`)).status);
      }
      expect(statuses).toEqual([...Array(AUTH_LIMIT).fill(401), 429]);
    });
  });
});
