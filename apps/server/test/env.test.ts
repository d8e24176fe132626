import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '../src/env';

describe('env validation', () => {
  it('applies development defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      BUILT_IN_ACCOUNTS: true,
      ADMIN_EMAILS: [],
      PAYMENT_GRACE_DAYS: 7,
    });
  });

  it('lists every problem with the variable it concerns', () => {
    let caught: unknown;
    try {
      parseEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://x', JWT_SECRET: 'short', APP_URL: 'not a url' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvError);
    const problems = (caught as EnvError).problems.join('\n');
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL/);
    expect(problems).toMatch(/JWT_SECRET: must be at least 32 characters/);
    expect(problems).toMatch(/APP_URL/);
  });

  it('parses lists and flags', () => {
    const env = parseEnv({ ADMIN_EMAILS: ' a@x.io, b@y.io ,', BUILT_IN_ACCOUNTS: 'false' });
    expect(env.ADMIN_EMAILS).toEqual(['a@x.io', 'b@y.io']);
    expect(env.BUILT_IN_ACCOUNTS).toBe(false);
  });
});
