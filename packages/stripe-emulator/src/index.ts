export { startStripeEmulator } from './emulator';
export { emulatorControl } from './control-client';
export type { EmulatorControl } from './control-client';
export { TEST_CARDS } from './cards';
export {
  DEFAULT_DELIVERY_RETRY_DELAYS_MS,
  DEFAULT_DELIVERY_TIMEOUT_MS,
  DEFAULT_EMULATOR_PORT,
  DEFAULT_RETRY_SCHEDULE,
} from './types';
export type {
  DeliveryRecord,
  EmulatorClockControl,
  ActiveFault,
  CatalogSeed,
  CatalogSeedPlan,
  EmulatorFailures,
  EmulatorFaults,
  FailureRule,
  FaultRule,
  PendingFailure,
  EmulatorWebhooks,
  StripeEmulator,
  StripeEmulatorOptions,
  WebhookMode,
} from './types';
