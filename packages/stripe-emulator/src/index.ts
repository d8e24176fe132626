export { startStripeEmulator } from './emulator';
export { emulatorControl } from './control-client';
export type { EmulatorControl } from './control-client';
export { TEST_CARDS, TEST_PAYMENT_METHOD_TOKENS } from './cards';
export { TEST_BANK_ACCOUNT } from './bank-accounts';
export {
  DEFAULT_DELIVERY_RETRY_DELAYS_MS,
  DEFAULT_DELIVERY_TIMEOUT_MS,
  DEFAULT_EMULATOR_PORT,
  DEFAULT_RETRY_SCHEDULE,
} from './types';
export type {
  CheckoutPaymentOptions,
  CheckoutPaymentResult,
  DelayedPaymentOutcome,
  DeliveryRecord,
  DisputeOptions,
  EmulatorCharges,
  EmulatorCheckout,
  EmulatorCustomers,
  EmulatorClockControl,
  ActiveFault,
  CatalogSeed,
  CatalogSeedPlan,
  EmulatorFailures,
  EmulatorFaults,
  EmulatorInvoices,
  FailureRule,
  FaultRule,
  InvoicePaymentOptions,
  InvoicePaymentResult,
  PendingFailure,
  EmulatorWebhooks,
  StripeEmulator,
  StripeEmulatorOptions,
  WebhookMode,
} from './types';
