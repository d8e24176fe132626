export { startServer, type RunningServer, type StartOptions } from './server';
export { parseEnv, type Env } from './env';
export { startEmulatedStripe, type EmulatedStripe, type EmulatedStripeOptions } from './stripe-setup';
