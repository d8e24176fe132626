import type { Page } from 'playwright-core';

/** The signed-in user's access token, as the app keeps it in localStorage. */
export async function accessTokenOf(page: Page): Promise<string> {
  const raw = await page.evaluate(() => window.localStorage.getItem('tollgate.session'));
  if (!raw) throw new Error('not signed in');
  return (JSON.parse(raw) as { accessToken: string }).accessToken;
}

export interface RunAnswer {
  status: number;
  body: unknown;
}

/** One tRPC mutation with the user's token, as the agent backend's client would send it. */
async function mutate(baseUrl: string, token: string, path: string, input: unknown): Promise<RunAnswer> {
  const response = await fetch(`${baseUrl}/api/trpc/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * One run through the API, the way an agent backend spends one: reserved (usage.authorize), then
 * started (usage.start), so the sweeper never gives it back. Answers the authorization's status and
 * body (402 with the payment-required body when refused; start is then not tried).
 */
export async function spendRun(baseUrl: string, token: string, runId: string): Promise<RunAnswer> {
  const authorized = await mutate(baseUrl, token, 'usage.authorize', { runId });
  if (authorized.status !== 200) return authorized;
  const started = await mutate(baseUrl, token, 'usage.start', { runId });
  if (started.status !== 200)
    throw new Error(`usage.start ${runId}: ${started.status} ${JSON.stringify(started.body)}`);
  return authorized;
}
