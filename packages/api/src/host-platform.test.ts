import { describe, expect, it } from 'vitest';
import { hasHostPlatform, type ApiConfig } from './config';

function configWith(jwt: Partial<ApiConfig['jwt']>, isBuiltInAccountsEnabled = true): ApiConfig {
  return {
    appUrl: 'http://app.tollgate.test',
    jwt: {
      secret: 'a-secret-that-is-at-least-32-characters-long',
      jwksUrl: null,
      issuer: null,
      audience: null,
      tokenIssuer: 'tollgate',
      hostTokenMaxAgeSeconds: 86_400,
      accessTtlSeconds: 900,
      refreshTtlSeconds: 2_592_000,
      ...jwt,
    },
    isBuiltInAccountsEnabled,
    paymentGraceDays: 7,
    runStartTimeoutMs: 300_000,
    authRateLimit: { windowMs: 60_000, max: 20 },
    runBatching: null,
  };
}

// Who vouches for users decides whether a service naming an unknown user id creates it (host
// platform) or gets 404 UNKNOWN_USER (built-in accounts only).
describe('hasHostPlatform', () => {
  it.each([
    ['built-in accounts only: JWT_SECRET alone', configWith({}), false],
    ['an audience alone names no host', configWith({ audience: 'agents' }), false],
    ['JWT_ISSUER set', configWith({ issuer: 'https://host.example' }), true],
    ['JWT_JWKS_URL set', configWith({ jwksUrl: 'https://host.example/jwks.json' }), true],
    ['both set', configWith({ issuer: 'https://host.example', jwksUrl: 'https://host.example/jwks' }), true],
    ['BUILT_IN_ACCOUNTS=false', configWith({}, false), true],
  ])('%s', (_name, config, expected) => {
    expect(hasHostPlatform(config)).toBe(expected);
  });
});
