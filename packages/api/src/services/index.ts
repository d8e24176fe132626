import type { ApiDeps } from '../config';
import { createRateLimiter } from '../auth/rate-limiter';
import { createStripeBilling } from '../billing';
import { createAccountService } from './account-service';
import { createApiKeyService } from './api-key-service';
import { createAuthenticator } from './authenticator';
import { createOperatorService } from './operator-service';
import { createSessionService } from './session-service';
import { createSubscriptionService } from './subscription-service';
import { createUsageService } from './usage-service';

/** The API's services, built once per process and shared by every request. */
export function createServices(deps: ApiDeps) {
  const subscriptions = createSubscriptionService(deps);
  const usage = createUsageService(deps, subscriptions);
  const apiKeys = createApiKeyService(deps);
  return {
    authenticate: createAuthenticator(deps, apiKeys),
    accounts: createAccountService(deps),
    authRateLimiter: createRateLimiter(deps.config.authRateLimit),
    apiKeys,
    operators: createOperatorService(deps),
    subscriptions,
    usage,
    sessions: createSessionService(deps, usage),
    stripe: deps.billing ? createStripeBilling(deps, deps.billing, subscriptions) : null,
  };
}

export type Services = ReturnType<typeof createServices>;
