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

  it('refuses an overage price of 0 cents (money caps are divided by it)', () => {
    expect(() => parseEnv({ STRIPE_OVERAGE_UNIT_AMOUNT_DECIMAL: '0' })).toThrow(/more than 0 cents/);
    expect(() => parseEnv({ STRIPE_OVERAGE_UNIT_AMOUNT_DECIMAL: '0.000' })).toThrow(/more than 0 cents/);
    expect(parseEnv({ STRIPE_OVERAGE_UNIT_AMOUNT_DECIMAL: '0.5' }).STRIPE_OVERAGE_UNIT_AMOUNT_DECIMAL).toBe(
      '0.5',
    );
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

  describe('email settings', () => {
    const PRODUCTION = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://tollgate@db/tollgate',
      APP_URL: 'https://billing.example.com',
      JWT_SECRET: 'p'.repeat(40),
      STRIPE_SECRET_KEY: 'sk_live_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      STRIPE_PRICE_ID_BASIC: 'price_b',
      STRIPE_PRICE_ID_PRO: 'price_p',
      STRIPE_PRICE_ID_TEAM: 'price_t',
    };
    const problemsOf = (source: Record<string, string>) => {
      try {
        parseEnv(source);
        return [];
      } catch (error) {
        return (error as EnvError).problems;
      }
    };

    it('production needs SMTP_URL and MAIL_FROM, unless email is disabled explicitly', () => {
      expect(problemsOf(PRODUCTION)).toEqual([
        'SMTP_URL: required in production (or set EMAIL_DELIVERY=disabled)',
        'MAIL_FROM: required in production (or set EMAIL_DELIVERY=disabled)',
      ]);
      expect(problemsOf({ ...PRODUCTION, EMAIL_DELIVERY: 'disabled' })).toEqual([]);
      const env = parseEnv({
        ...PRODUCTION,
        SMTP_URL: 'smtps://u:p@smtp.example.com:465',
        MAIL_FROM: 'T <t@x.io>',
      });
      expect(env.EMAIL_DELIVERY).toBe('smtp');
    });

    it('development needs neither (the in-process dev inbox catches every email)', () => {
      expect(parseEnv({})).toMatchObject({ EMAIL_DELIVERY: 'smtp', DUNNING_DAYS: [0, 3, 6] });
    });

    it('refuses what it cannot use', () => {
      expect(problemsOf({ SMTP_URL: 'http://smtp.example.com' })[0]).toMatch(/^SMTP_URL: must be an smtp/);
      expect(problemsOf({ EMAIL_DELIVERY: 'off' })[0]).toMatch(/^EMAIL_DELIVERY/);
      expect(problemsOf({ DUNNING_DAYS: '3;6' })[0]).toMatch(/^DUNNING_DAYS: must be a comma-separated/);
      expect(parseEnv({ DUNNING_DAYS: '6,0,3,3' }).DUNNING_DAYS).toEqual([0, 3, 6]);
    });
  });
});
