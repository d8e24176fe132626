import { monthOf } from '@tollgate/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trpc } from '../support/http';
import { registerOperator } from '../support/operators';
import { registerVerifiedUser, startTestServer, type TestServer } from '../support/test-server';

// The console's 402 rate divides refusals by authorizations. A granted run counts once per run id (its
// ledger row); a refused one must count once per account, run id and day too, or one account retrying
// one refused run id moves the platform-wide rate wherever it likes.

interface RateRow {
  month: string;
  authorizations: number;
  denied: number;
}

let server: TestServer;
let operatorToken: string;
beforeAll(async () => {
  server = await startTestServer();
  // Mid-month, mid-day: the whole test falls in one UTC day and one month.
  server.clock.set(new Date('2027-03-15T12:00:00Z'));
  operatorToken = (await registerOperator(server)).accessToken;
});
afterAll(async () => {
  await server?.stop();
});

async function paymentRequired(): Promise<RateRow> {
  const month = monthOf(server.deps.now());
  const report = await trpc<{ paymentRequired: RateRow[] }>(
    server.url,
    'query',
    'admin.analytics',
    { from: month, to: month },
    operatorToken,
  );
  expect(report.status, JSON.stringify(report.error)).toBe(200);
  const [row] = report.data?.paymentRequired ?? [];
  if (!row) throw new Error('no 402 rate row');
  return row;
}

/** A verified FREE user who used the 10 runs of the month; returns how to authorize a run. */
async function usedUp(prefix: string) {
  const { accessToken } = await registerVerifiedUser(server);
  const authorize = (runId: string) =>
    trpc(server.url, 'mutation', 'usage.authorize', { runId }, accessToken);
  for (let i = 0; i < 10; i += 1) expect((await authorize(`${prefix}-${i}`)).status).toBe(200);
  return authorize;
}

describe('the 402 rate: a refused run id counts once', () => {
  it('one account retrying one refused run id 200 times adds one refusal, not 200', async () => {
    for (let user = 0; user < 5; user += 1) {
      const authorize = await usedUp(`u${user}`);
      expect((await authorize(`u${user}-over`)).status).toBe(402);
    }
    const before = await paymentRequired();
    expect(before.denied).toBeGreaterThanOrEqual(5);

    const authorize = await usedUp('sixth');
    for (let i = 0; i < 200; i += 1) {
      const refused = await authorize('x-over');
      expect(refused.status).toBe(402);
      expect(refused.error?.data?.paymentRequired).toMatchObject({ code: 'USAGE_LIMIT_REACHED' });
    }
    const after = await paymentRequired();
    expect(after.denied).toBe(before.denied + 1);
    expect(after.authorizations).toBe(before.authorizations + 10 + 1);
    // Another refused run id is another refusal.
    expect((await authorize('y-over')).status).toBe(402);
    expect((await paymentRequired()).denied).toBe(before.denied + 2);
  }, 180_000);
});
