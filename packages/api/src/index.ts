export { appRouter, createCaller, type AppRouter, type RouterInputs, type RouterOutputs } from './root';
export type {
  PublicAppRouter,
  PublicErrorShape,
  PublicRouterInputs,
  PublicRouterOutputs,
} from './routers/public-app-router';
export * from './schemas';
export { ACCOUNT_HEADER, createContextFactory, type Actor, type Context, type RequestInfo } from './context';
export { createServices, type Services } from './services';
export type { ApiConfig, ApiDeps } from './config';
export {
  infallibleMetrics,
  noopMetrics,
  type Metrics,
  type ReconciliationSource,
  type ReconciliationTally,
  type WebhookMetricOutcome,
} from './metrics';
export { createJsonLogger, pinoLoggerOf, silentLogger, type Logger } from './logger';
export { createLocalRunner } from './runner/local-runner';
export { createHttpRunner } from './runner/http-runner';
export type { AgentRunner, AgentRunRequest, AgentRunResult } from './runner/agent-runner';
export { retryAfterSecondsOf } from './errors';
export { errorAnswer, errorAnswerOf, errorBody, type ErrorAnswer, type ErrorBody } from './error-answer';
export { API_KEY_SCOPES, type ApiKeyScope } from './auth/api-key-format';
export { signAccessToken } from './auth/access-token';
export { SESSION_CHECK_TTL_MS } from './auth/session-liveness';
export {
  LOGIN_FAILURES_PER_ACCOUNT,
  LOGIN_FAILURES_PER_CLIENT,
  LOGIN_LOCKOUT_WINDOW_MS,
} from './auth/login-lockout';
export { ROTATION_RETRY_GRACE_MS } from './services/account-service';
export type { RunAuthorization } from './services/usage-service';
export type { SubscriptionOverview } from './services/subscription-service';
export { isDatabaseReachable } from './services/database-health';
export {
  STRIPE_API_VERSION,
  createStripeClient,
  type BillingSettings,
  type OverageBillingSettings,
} from './billing/stripe-settings';
export { ensureOverageCatalog } from './billing/overage-catalog';
export {
  classifyMeterEventError,
  createMeterReporter,
  type DeliveryTally,
  type MeterReporter,
} from './billing/meter-reporter';
export {
  createMeterReconciliation,
  type MeterReconciliation,
  type MeterReconciliationReport,
} from './billing/meter-reconciliation';
export {
  DEFAULT_WEBHOOK_CONCURRENCY,
  WebhookSignatureError,
  type WebhookOutcome,
} from './billing/webhook-handler';
export { PermanentWebhookError, type WebhookFailureCode } from './billing/webhook-errors';
export type { ReconcileReport } from './billing/reconcile';
export type { StripeBilling } from './billing';
export { personalTenant, type Tenant } from './tenant';
export { findRoleGrantee } from './services/operator-service';
export { recordOperatorGrant } from './services/operator-grant';
export { createEmailWorker, type EmailWorker, type DrainResult } from './notifications/email-worker';
export {
  createUnsubscribeLinks,
  UNSUBSCRIBE_PATH,
  type UnsubscribeLinks,
} from './notifications/unsubscribe-links';
