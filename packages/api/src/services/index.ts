import type { ApiDeps } from '../config';
import { createLoginLockout } from '../auth/login-lockout';
import { createRateLimiter } from '../auth/rate-limiter';
import { createSessionLiveness } from '../auth/session-liveness';
import { createStripeBilling } from '../billing';
import { createAutoTopUp } from '../billing/auto-top-up';
import { createAccountService } from './account-service';
import { createApiKeyService } from './api-key-service';
import { createAuthenticator } from './authenticator';
import { createBillingAccountService } from './billing-account-service';
import { createCreditService } from './credit-service';
import { createEmailVerificationService } from './email-verification';
import { createOperatorService } from './operator-service';
import { createPasswordResetService } from './password-reset';
import { createAnalyticsService } from './analytics-service';
import { createOverrideService } from './override-service';
import { createSessionService } from './session-service';
import { createSpendService } from './spend-service';
import { createSubscriptionService } from './subscription-service';
import { createTenantResolver } from './tenant-resolver';
import { createUsageService } from './usage-service';
import { createBillingReminders } from '../notifications/billing-reminders';
import { createNotificationService } from '../notifications/notification-service';
import { createUsageAlerts } from '../notifications/usage-alerts';

/** The API's services, built once per process and shared by every request. */
export function createServices(deps: ApiDeps) {
  const subscriptions = createSubscriptionService(deps);
  const usageAlerts = createUsageAlerts(deps);
  const autoTopUp = deps.billing ? createAutoTopUp(deps, deps.billing) : null;
  const usage = createUsageService(deps, subscriptions, usageAlerts, autoTopUp);
  const apiKeys = createApiKeyService(deps);
  const loginLockout = createLoginLockout(deps.db);
  // Shared: a logout or reset ends the sessions the authenticator checks, in this process at once.
  const sessionLiveness = createSessionLiveness(deps.db, deps.now);
  const accounts = createAccountService(deps, loginLockout, sessionLiveness);
  const stripe = deps.billing ? createStripeBilling(deps, deps.billing, subscriptions) : null;
  // After a membership change commits, the Stripe quantity of a seat-priced plan follows (failures are
  // recorded on the account and retried by the periodic seat sync).
  const syncSeats = (accountId: string) => {
    if (!stripe) return;
    stripe.seats
      .syncAccount(accountId)
      .catch((error: unknown) => deps.logger.warn('seat sync failed', { accountId, error: String(error) }));
  };
  return {
    authenticate: createAuthenticator(deps, apiKeys, sessionLiveness),
    accounts,
    emailVerification: createEmailVerificationService(deps),
    passwordReset: createPasswordResetService(deps, loginLockout, sessionLiveness),
    tenants: createTenantResolver(deps, accounts),
    billingAccounts: createBillingAccountService(deps, subscriptions, syncSeats),
    authRateLimiter: createRateLimiter(deps.config.authRateLimit, deps.db),
    apiKeys,
    operators: createOperatorService(deps),
    subscriptions,
    usage,
    credits: createCreditService(deps, subscriptions),
    autoTopUp,
    spend: createSpendService(deps, subscriptions, stripe?.overageItems ?? null),
    overrides: createOverrideService(deps),
    analytics: createAnalyticsService(deps),
    sessions: createSessionService(deps, usage),
    stripe,
    usageAlerts,
    notifications: createNotificationService(deps, usageAlerts),
    billingReminders: createBillingReminders(deps, deps.config.dunningDays),
  };
}

export type Services = ReturnType<typeof createServices>;
