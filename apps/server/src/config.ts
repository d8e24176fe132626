import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiConfig } from '@tollgate/api';
import type { Env } from './env';

/** `<repo>/.data`: the embedded defaults' home (git-ignored). */
export const DEFAULT_DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../.data');

/** The built web app, served by the server when it exists (WEB_DIST_DIR overrides). */
export function webDistDirOf(env: Env): string | null {
  const dir = env.WEB_DIST_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');
  return existsSync(join(dir, 'index.html')) ? dir : null;
}

export function pgliteDataDir(env: Env): string {
  return env.PGLITE_DATA_DIR ?? join(DEFAULT_DATA_DIR, 'pglite');
}

export function appUrlOf(env: Env): string {
  return env.APP_URL ?? `http://localhost:${env.PORT}`;
}

/**
 * Without JWT_SECRET outside production, a random secret is created once and kept in .data, so
 * restarting the dev server doesn't sign everybody out.
 */
export function jwtSecretOf(env: Env, dataDir = DEFAULT_DATA_DIR): string | null {
  if (env.JWT_SECRET) return env.JWT_SECRET;
  if (env.NODE_ENV === 'production') return null;
  const file = join(dataDir, 'dev-jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

export function apiConfigOf(env: Env): ApiConfig {
  return {
    appUrl: appUrlOf(env),
    jwt: {
      secret: jwtSecretOf(env),
      jwksUrl: env.JWT_JWKS_URL ?? null,
      issuer: env.JWT_ISSUER ?? null,
      audience: env.JWT_AUDIENCE ?? null,
      tokenIssuer: env.TOKEN_ISSUER,
      hostTokenMaxAgeSeconds: env.HOST_TOKEN_MAX_AGE_SECONDS,
      orgClaim: env.JWT_ORG_CLAIM ?? null,
      orgRoleClaim: env.JWT_ORG_ROLE_CLAIM ?? null,
      accessTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    },
    isBuiltInAccountsEnabled: env.BUILT_IN_ACCOUNTS,
    paymentGraceDays: env.PAYMENT_GRACE_DAYS,
    runStartTimeoutMs: env.RUN_START_TIMEOUT_SECONDS * 1000,
    runSettleTimeoutMs: env.RUN_SETTLE_TIMEOUT_SECONDS * 1000,
    authRateLimit: { windowMs: 60_000, max: env.AUTH_RATE_LIMIT_PER_MINUTE },
    runBatching:
      env.AUTHORIZE_BATCH_WINDOW_MS > 0
        ? { windowMs: env.AUTHORIZE_BATCH_WINDOW_MS, maxSize: env.AUTHORIZE_BATCH_MAX }
        : null,
    webhookConcurrency: env.STRIPE_WEBHOOK_CONCURRENCY,
    dunningDays: env.DUNNING_DAYS,
    supportGrantMaxUnits: env.SUPPORT_GRANT_MAX_UNITS,
  };
}
