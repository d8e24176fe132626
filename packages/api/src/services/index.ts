import type { ApiDeps } from '../config';
import { createRateLimiter } from '../auth/rate-limiter';
import { createStripeBilling } from '../billing';
import { createAccountService } from './account-service';
import { createApiKeyService } from './api-key-service';
import { createAuthenticator } from './authenticator';
import { createBillingAccountService } from './billing-account-service';
import { createOperatorService } from './operator-service';
import { createSessionService } from './session-service';
import { createSubscriptionService } from './subscription-service';
import { createTenantResolver } from './tenant-resolver';
import { createUsageService } from './usage-service';

/** The API's services, built once per process and shared by every request. */
export function createServices(deps: ApiDeps) {
  const subscriptions = createSubscriptionService(deps);
  const usage = createUsageService(deps, subscriptions);
  const apiKeys = createApiKeyService(deps);
  const accounts = createAccountService(deps);
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
    authenticate: createAuthenticator(deps, apiKeys),
    accounts,
    tenants: createTenantResolver(deps, accounts),
    billingAccounts: createBillingAccountService(deps, subscriptions, syncSeats),
    authRateLimiter: createRateLimiter(deps.config.authRateLimit),
    apiKeys,
    operators: createOperatorService(deps),
    subscriptions,
    usage,
    sessions: createSessionService(deps, usage),
    stripe,
  };
}

export type Services = ReturnType<typeof createServices>;
