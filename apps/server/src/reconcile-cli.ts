import { createJsonLogger } from '@tollgate/api';
import { EnvError, readEnv } from './env';
import { startServer } from './server';

/**
 * `pnpm --filter @tollgate/server reconcile`: re-fetches every linked subscription from Stripe,
 * corrects drift through the webhook code path, prints the report and exits.
 */
try {
  const env = readEnv();
  if (!env.STRIPE_SECRET_KEY) {
    console.error('STRIPE_SECRET_KEY is not set: there is no Stripe account to reconcile against.');
    process.exit(1);
  }
  const server = await startServer(
    { ...env, PORT: 0, HOST: '127.0.0.1', LOG_REQUESTS: false },
    { logger: createJsonLogger() },
  );
  const report = await server.services.stripe?.reconcile();
  console.log(JSON.stringify(report, null, 2));
  await server.close();
  process.exit(report && report.failures.length > 0 ? 1 : 0);
} catch (error) {
  console.error(error instanceof EnvError ? error.message : error);
  process.exit(1);
}
