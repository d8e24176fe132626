import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, request, trpc, uniqueEmail } from '../support/http';
import type { TestServer } from '../support/test-server';
import { outboxFor, startEmailTestServer, tokenOf } from './email-support';

// Two links of one user used at the same moment (the sign-up email and a resend, two reset emails):
// one wins, the other is an invalid link. When each transaction consumed its own token before locking
// the user, the lock holder's voiding of the user's other tokens closed a cycle: PostgreSQL killed one
// side (deadlock detected) and it answered 500. On PGlite transactions run one at a time.

let server: TestServer;
beforeAll(async () => {
  server = await startEmailTestServer();
});
afterAll(() => server?.stop());

async function tokens(email: string, kind: 'password_reset' | 'verify_email'): Promise<string[]> {
  const field = kind === 'password_reset' ? 'resetUrl' : 'verifyUrl';
  const rows = await outboxFor(server, email, kind);
  return rows.map((row) => tokenOf(String(row.data?.[field])));
}

describe('two links of one user used at once', () => {
  it('two reset links confirmed concurrently: one 200 and one 400, never a 500', async () => {
    const outcomes: number[][] = [];
    for (let i = 0; i < 6; i += 1) {
      const email = uniqueEmail('pair');
      await registerUser(server.url, email);
      for (let n = 0; n < 2; n += 1) {
        await trpc(server.url, 'mutation', 'auth.requestPasswordReset', { email });
        await server.services.passwordReset.settled();
      }
      const [a, b] = await tokens(email, 'password_reset');
      const answers = await Promise.all(
        [a, b].map((token) =>
          request(server.url, 'POST', '/api/v1/auth/password-reset/confirm', {
            body: { token, password: `new passphrase ${token}` },
          }),
        ),
      );
      outcomes.push(answers.map((answer) => answer.status).sort());
    }
    expect(outcomes).toEqual(Array(6).fill([200, 400]));
  });

  it('two verification links used concurrently: one 200 and one 400, never a 500', async () => {
    const outcomes: number[][] = [];
    for (let i = 0; i < 6; i += 1) {
      const email = uniqueEmail('verify-pair');
      const user = await registerUser(server.url, email);
      server.clock.advance(61_000);
      const resent = await request(server.url, 'POST', '/api/v1/auth/resend-verification', {
        token: user.accessToken,
      });
      expect(resent.status).toBe(200);
      const [a, b] = await tokens(email, 'verify_email');
      const answers = await Promise.all(
        [a, b].map((token) => request(server.url, 'POST', '/api/v1/auth/verify-email', { body: { token } })),
      );
      outcomes.push(answers.map((answer) => answer.status).sort());
    }
    expect(outcomes).toEqual(Array(6).fill([200, 400]));
  });
});
