import { z } from 'zod';

/**
 * The server's whole configuration, read from the environment in this one place and validated at
 * start with a message per problem. Nothing else in the codebase reads process.env.
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema.optional());

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')),
  /** PostgreSQL: how long a request waits for a pool connection before it answers 503 (0 = no limit). */
  DATABASE_POOL_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  PGLITE_DATA_DIR: optional(z.string()),
  APP_URL: optional(z.url('must be an absolute URL like https://app.example.com')),
  JWT_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
  JWT_JWKS_URL: optional(z.url()),
  JWT_ISSUER: optional(z.string()),
  JWT_AUDIENCE: optional(z.string()),
  /** `iss` of Tollgate's own access tokens; must differ from JWT_ISSUER (the host platform's). */
  TOKEN_ISSUER: optional(z.string().min(1)).default('tollgate'),
  /**
   * The host platform's JWT claim naming the user's organization (e.g. `org_id`): its tokens then act
   * on the team account standing for that organization (made on first use), not the personal one.
   */
  JWT_ORG_CLAIM: optional(z.string().min(1).max(100)),
  /** The claim holding the user's role in that organization (`owner`, `admin` or `member`; default member). */
  JWT_ORG_ROLE_CLAIM: optional(z.string().min(1).max(100)),
  /** A host platform's token older than this (by its `iat`) is refused, whatever its `exp`. */
  HOST_TOKEN_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(31 * 86_400)
    .default(86_400),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(30 * 86_400),
  BUILT_IN_ACCOUNTS: optional(booleanFlag).default(true),
  AGENT_BACKEND_URL: optional(z.url()),
  PAYMENT_GRACE_DAYS: z.coerce.number().int().min(0).max(60).default(7),
  /** A run reserved and never started within this time is released by Tollgate's sweeper. */
  RUN_START_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** A run started and never settled within this time is settled at its estimate by the sweeper. */
  RUN_SETTLE_TIMEOUT_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  /** Grouped commits for run authorization: window in ms (0 = off, one transaction per run) and batch cap. */
  AUTHORIZE_BATCH_WINDOW_MS: z.coerce.number().min(0).max(50).default(2),
  AUTHORIZE_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(256),
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  TRUST_PROXY: optional(z.string()).default('loopback'),
  LOG_REQUESTS: optional(booleanFlag).default(true),
  WEB_DIST_DIR: optional(z.string()),
  // Stripe. Without STRIPE_SECRET_KEY (outside production) the offline emulator is started instead.
  STRIPE_SECRET_KEY: optional(
    z.string().regex(/^(sk|rk)_(test|live)_/, 'must be a Stripe secret key (sk_test_… or sk_live_…)'),
  ),
  STRIPE_WEBHOOK_SECRET: optional(
    z.string().startsWith('whsec_', 'must be a webhook signing secret (whsec_…)'),
  ),
  STRIPE_PRICE_ID_BASIC: optional(z.string().startsWith('price_', 'must be a Stripe price id (price_…)')),
  STRIPE_PRICE_ID_PRO: optional(z.string().startsWith('price_', 'must be a Stripe price id (price_…)')),
  /** TEAM's monthly price, per seat (quantity = the team's member count). */
  STRIPE_PRICE_ID_TEAM: optional(z.string().startsWith('price_', 'must be a Stripe price id (price_…)')),
  /** Overage billing with real Stripe: the Billing Meter and the metered price on it (both, or neither). */
  STRIPE_OVERAGE_METER_ID: optional(z.string().startsWith('mtr_', 'must be a Stripe meter id (mtr_…)')),
  STRIPE_OVERAGE_PRICE_ID: optional(z.string().startsWith('price_', 'must be a Stripe price id (price_…)')),
  /** The meter's event_name. */
  STRIPE_OVERAGE_EVENT_NAME: z.string().min(1).max(100).default('tollgate_overage_runs'),
  /** The metered price's unit_amount_decimal (cents per run): what money caps are divided by. */
  STRIPE_OVERAGE_UNIT_AMOUNT_DECIMAL: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,12})?$/, 'must be a decimal number of cents, e.g. 12.5')
    .refine((cents) => Number(cents) > 0, 'must be more than 0 cents: money caps are divided by it')
    .default('12.5'),
  /** How often overage is reported to Stripe's meter (seconds; 0 = off, for tests that flush by hand). */
  METER_REPORT_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /** Points the official SDK elsewhere (e.g. an emulator started separately). */
  STRIPE_API_BASE_URL: optional(z.url()),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).default(300),
  /** Webhook database work at once (a bounded share of the pool; Stripe is never awaited inside it). */
  STRIPE_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  /** Seconds to let in-flight requests finish after SIGTERM before connections are cut. */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(20),
  /** Default 12111; a server on a random port (PORT=0, as in tests) gets an emulator on a random port too. */
  STRIPE_EMULATOR_PORT: optional(z.coerce.number().int().min(0).max(65_535)),
  /** Re-fetch every linked subscription from Stripe this often (0 = only on demand). */
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(0),
  /**
   * Outgoing email: an SMTP server (smtp://user:pass@host:587 or smtps://…:465). Without it outside
   * production an in-process SMTP server catches every email (the dev inbox at /dev/inbox).
   */
  SMTP_URL: optional(z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')),
  /** The sender of every email, e.g. `Tollgate <billing@example.com>`. */
  MAIL_FROM: optional(z.string().min(3).max(200)),
  /** `disabled`: no email is sent (in-app notifications only); production then needs no SMTP settings. */
  EMAIL_DELIVERY: optional(z.enum(['smtp', 'disabled'])).default('smtp'),
  /** How often the email outbox is drained (ms; 0 = never, for tests that drain by hand). */
  EMAIL_OUTBOX_INTERVAL_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
  /** How often trial reminders, dunning reminders and missed usage alerts are checked (0 = off). */
  NOTIFICATION_CLOCK_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** Days after a failed renewal when dunning emails go out (0 = the payment-failed email itself). */
  DUNNING_DAYS: optional(
    z
      .string()
      .regex(/^\d{1,2}(,\d{1,2}){0,9}$/, 'must be a comma-separated list of days, e.g. 0,3,6')
      .transform((list) => [...new Set(list.split(',').map(Number))].sort((a, b) => a - b)),
  ).default([0, 3, 6]),
  /** Re-send team accounts' seat counts Stripe hasn't confirmed this often (0 = off; Stripe billing only). */
  SEAT_SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  /**
   * Put the metered overage item on subscriptions of accounts with overage on that lack it this often
   * (a resubscribe; 0 = off, and such accounts' overage stays refused; Stripe billing only).
   */
  OVERAGE_ITEM_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  /**
   * How often a replica that doesn't lead the periodic passes asks for the lead (and the leader checks
   * its session): the longest the passes pause after the leader dies (leadership.ts).
   */
  LEADERSHIP_CHECK_SECONDS: z.coerce.number().int().min(1).max(3_600).default(5),
  /** The most runs one platform support user may grant in a rolling day (operators are not bounded). */
  SUPPORT_GRANT_MAX_UNITS: z.coerce.number().int().min(0).max(10_000_000).default(1000),
  /**
   * Prometheus metrics at /metrics on a listener of their own, never on PORT: unset = off, 0 = a random
   * port (tests), 9464 = prom-client's customary port (docker-compose.prod.yml).
   */
  METRICS_PORT: optional(z.coerce.number().int().min(0).max(65_535)),
  /** Where the metrics listener binds: loopback unless a scraper on another host must reach it. */
  METRICS_HOST: optional(z.string().min(1)).default('127.0.0.1'),
  /** With it, a scrape must send `Authorization: Bearer <token>`. */
  METRICS_TOKEN: optional(
    z
      .string()
      .min(16, 'must be at least 16 characters')
      .max(512)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
  ),
});

export type Env = z.infer<typeof envSchema>;

const PRODUCTION_REQUIRED = [
  'DATABASE_URL',
  'APP_URL',
  'JWT_SECRET',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_PRICE_ID_BASIC',
  'STRIPE_PRICE_ID_PRO',
  'STRIPE_PRICE_ID_TEAM',
] as const;

/**
 * In production no development default may apply (embedded PGlite, generated JWT secret, the Stripe
 * emulator, a localhost APP_URL): every one of these must be set explicitly.
 */
function productionProblems(env: Env): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = PRODUCTION_REQUIRED.filter((name) => !env[name]).map(
    (name) => `${name}: required in production`,
  );
  if (env.APP_URL && new URL(env.APP_URL).protocol !== 'https:')
    problems.push('APP_URL: must be https:// in production');
  if (env.EMAIL_DELIVERY === 'smtp') {
    if (!env.SMTP_URL) problems.push('SMTP_URL: required in production (or set EMAIL_DELIVERY=disabled)');
    if (!env.MAIL_FROM) problems.push('MAIL_FROM: required in production (or set EMAIL_DELIVERY=disabled)');
  }
  if (env.STRIPE_API_BASE_URL)
    problems.push('STRIPE_API_BASE_URL: must not be set in production (it points Stripe calls elsewhere)');
  return problems;
}

/** Settings that must agree with each other, in every environment. */
function consistencyProblems(env: Env): string[] {
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
    return ['METRICS_PORT: must differ from PORT (metrics are never served on the public port)'];
  }
  if (env.JWT_ISSUER !== undefined && env.JWT_ISSUER === env.TOKEN_ISSUER) {
    return [
      "TOKEN_ISSUER: must differ from JWT_ISSUER (Tollgate's own tokens and the host platform's must be told apart)",
    ];
  }
  return [];
}

/** Settings that older versions read and this one ignores: worth a warning, not a refusal to start. */
const RETIRED_SETTINGS: Readonly<Record<string, string>> = {
  ADMIN_EMAILS:
    'ADMIN_EMAILS is ignored: platform operators are a role stored in the database, never derived from an ' +
    'email. Grant it with `npm run operator -- grant <email>` or the bootstrap token (docs/production.md, "First operator").',
};

/** One warning per retired setting still present in the environment. */
export function retiredSettingWarnings(source: Record<string, string | undefined> = process.env): string[] {
  return Object.entries(RETIRED_SETTINGS)
    .filter(([name]) => source[name] !== undefined && source[name] !== '')
    .map(([, warning]) => warning);
}

export class EnvError extends Error {
  override readonly name = 'EnvError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const problems = [...consistencyProblems(result.data), ...productionProblems(result.data)];
  if (problems.length > 0) throw new EnvError(problems);
  return result.data;
}

export function readEnv(): Env {
  return parseEnv(process.env);
}
