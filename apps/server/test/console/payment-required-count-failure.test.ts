import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpc } from '../support/http';
import { registerVerifiedUser, startTestServer, type TestServer } from '../support/test-server';

// Counting a 402 for analytics is best effort: when the counter can't be written the caller still gets
// its 402 (never a run, never a 500), and the server keeps serving.
describe('a 402 whose count fails', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is still a 402 with its body, and nothing is charged', async () => {
    const { accessToken } = await registerVerifiedUser(server);
    const authorize = (runId: string) =>
      trpc(server.url, 'mutation', 'usage.authorize', { runId }, accessToken);
    for (let i = 0; i < 10; i += 1) expect((await authorize(`ok-${i}`)).status).toBe(200);
    // The counter's table is gone: every count fails.
    await server.deps.db.execute(sql`drop table payment_required_days`);
    const refused = await authorize('over-1');
    expect(refused.status).toBe(402);
    expect(refused.error?.data?.paymentRequired).toMatchObject({
      code: 'USAGE_LIMIT_REACHED',
      used: 10,
      limit: 10,
    });
    expect((await authorize('over-2')).status).toBe(402);
    const overview = await trpc(server.url, 'query', 'billing.subscription', undefined, accessToken);
    expect(overview.data.usage).toMatchObject({ used: 10, limit: 10 });
  });
});
