import type { Database } from '@tollgate/db';
import type { BillingSettings } from './billing/stripe-settings';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { AgentRunner } from './runner/agent-runner';

/** Everything the API needs from its host, validated by the server's env.ts before it gets here. */
export interface ApiConfig {
  /** Origin of the web app: checkout/portal redirects must stay on it, and 402 bodies link to it. */
  appUrl: string;
  jwt: {
    /** HS256 secret; signs Tollgate's own tokens and verifies HS256 tokens of a host platform. */
    secret: string | null;
    /** JWKS URL for a host platform's asymmetric tokens. */
    jwksUrl: string | null;
    /** The `iss` a host platform's tokens must carry (JWT_ISSUER); null = any but Tollgate's own. */
    issuer: string | null;
    /** The `aud` a host platform's tokens must carry (JWT_AUDIENCE); null = not checked. */
    audience: string | null;
    /** The `iss` of Tollgate's own access tokens (TOKEN_ISSUER); never equal to `issuer`. */
    tokenIssuer: string;
    /** A host platform's token older than this (by `iat`) is refused, whatever its `exp`. */
    hostTokenMaxAgeSeconds: number;
    /** The host token claim naming the user's organization (its team account); null = not used. */
    orgClaim?: string | null;
    /** The host token claim holding the user's role in that organization (default `member`). */
    orgRoleClaim?: string | null;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  /** Register/login with email + password. Off when a host platform owns identity. */
  isBuiltInAccountsEnabled: boolean;
  paymentGraceDays: number;
  /**
   * A run reserved and not started within this time is released by Tollgate's sweeper (its caller
   * crashed or gave up), once, whatever the number of server processes.
   */
  runStartTimeoutMs: number;
  /**
   * A run started and never settled within this time is settled at its estimate by the sweeper (its
   * caller never said what it cost). Optional: one day when unset.
   */
  runSettleTimeoutMs?: number;
  authRateLimit: { windowMs: number; max: number };
  /**
   * Group concurrent run authorizations into shared commits: a batch closes after `windowMs` or at
   * `maxSize` runs. null = one transaction per run.
   */
  runBatching: { windowMs: number; maxSize: number } | null;
  /**
   * Webhook database work (statements and transactions) running at once, so a burst of Stripe
   * deliveries holds a bounded share of the pool. Default 4 (DEFAULT_WEBHOOK_CONCURRENCY).
   */
  webhookConcurrency?: number;
  /** Days after a failed renewal when dunning reminders go out (0 = the payment-failed email itself). */
  dunningDays?: readonly number[];
  /**
   * Team accounts: how many a user may create per rolling day (default 5), invitation lifetime (7
   * days), invitation emails per account per rolling day (100) and to one address per rolling hour (3).
   */
  teamAccounts?: {
    createLimitPerDay: number;
    invitationTtlDays: number;
    invitationsPerDay: number;
    invitationsPerAddressPerHour: number;
  };
  /** The most runs one platform support user may grant in a rolling day (operators: no bound). Default 1,000. */
  supportGrantMaxUnits?: number;
}

export const DEFAULT_SUPPORT_GRANT_MAX_UNITS = 1000;

/**
 * Invitations are emails anyone with a team can make Tollgate send, with a team name of their choosing
 * in the subject: bounded per team and per address, so a team can't become a mail cannon.
 */
export const DEFAULT_TEAM_ACCOUNT_SETTINGS = {
  createLimitPerDay: 5,
  invitationTtlDays: 7,
  invitationsPerDay: 100,
  invitationsPerAddressPerHour: 3,
} as const;

/**
 * Whether a host platform vouches for users (its issuer or JWKS is configured, or built-in accounts
 * are off): its users never sign up here, so the first call naming one creates the account. Without
 * one, every user registered here, and a service naming an unknown user id gets 404 UNKNOWN_USER.
 */
export function hasHostPlatform(config: ApiConfig): boolean {
  return config.jwt.issuer !== null || config.jwt.jwksUrl !== null || !config.isBuiltInAccountsEnabled;
}

export interface ApiDeps {
  db: Database;
  config: ApiConfig;
  now: () => Date;
  runner: AgentRunner;
  logger: Logger;
  /** Stripe (real or the offline emulator); null when the server runs without billing. */
  billing: BillingSettings | null;
  /** Operator metrics (apps/server's prom-client registry); none when unset. Hooks never throw here. */
  metrics?: Metrics;
}
