import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv, retiredSettingWarnings } from '../src/env';

describe('env validation', () => {
  it('applies development defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      BUILT_IN_ACCOUNTS: true,
      TOKEN_ISSUER: 'tollgate',
      HOST_TOKEN_MAX_AGE_SECONDS: 86_400,
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

  it('parses flags; the retired ADMIN_EMAILS is ignored with a warning, not a refusal to start', () => {
    const source = { ADMIN_EMAILS: 'a@x.io, b@y.io', BUILT_IN_ACCOUNTS: 'false' };
    const env = parseEnv(source);
    expect(env.BUILT_IN_ACCOUNTS).toBe(false);
    expect(env).not.toHaveProperty('ADMIN_EMAILS');
    const warnings = retiredSettingWarnings(source);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ADMIN_EMAILS is ignored/);
    expect(retiredSettingWarnings({ BUILT_IN_ACCOUNTS: 'false' })).toEqual([]);
  });

  it("refuses a TOKEN_ISSUER equal to the host platform's JWT_ISSUER", () => {
    expect(() => parseEnv({ JWT_ISSUER: 'tollgate' })).toThrow(/TOKEN_ISSUER: must differ from JWT_ISSUER/);
    expect(() =>
      parseEnv({ JWT_ISSUER: 'https://host.example', TOKEN_ISSUER: 'https://host.example' }),
    ).toThrow(EnvError);
    expect(parseEnv({ JWT_ISSUER: 'https://host.example' }).TOKEN_ISSUER).toBe('tollgate');
  });
});
