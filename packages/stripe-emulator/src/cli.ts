#!/usr/bin/env tsx
import { TEST_CARDS } from './cards';
import { CLI_USAGE, parseCliOptions } from './cli-options';
import { startStripeEmulator } from './emulator';
import { TOLLGATE_CATALOG } from './tollgate-catalog';
import type { StripeEmulator } from './types';

function banner(
  emulator: StripeEmulator<keyof typeof TOLLGATE_CATALOG>,
  endpoints: { url: string; secret: string }[],
): string {
  const lines = [
    `Stripe emulator (offline, in-memory, test mode) listening on ${emulator.url}`,
    `  SDK:        new Stripe('sk_test_anything', { host: '${new URL(emulator.url).hostname}', port: ${emulator.port}, protocol: 'http' })`,
    `  Prices:     BASIC ${emulator.prices.BASIC}   PRO ${emulator.prices.PRO}`,
    `  Products:   BASIC ${emulator.products.BASIC}   PRO ${emulator.products.PRO}`,
    ...(endpoints.length === 0
      ? ['  Webhooks:   none configured (register with POST /v1/webhook_endpoints or --webhook <url>)']
      : endpoints.map((endpoint) => `  Webhook:    ${endpoint.url}  secret ${endpoint.secret}`)),
    `  Control:    POST ${emulator.url}/_emulator/clock/advance {"seconds":86400}   GET ${emulator.url}/_emulator/state`,
    `  Test cards: ${TEST_CARDS.success} ok · ${TEST_CARDS.declined} declined · ${TEST_CARDS.insufficientFunds} insufficient funds · ${TEST_CARDS.failsLater} fails on renewal`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { options, isJson, isHelp } = parseCliOptions(process.argv.slice(2), process.env);
  if (isHelp) {
    console.log(CLI_USAGE);
    return;
  }
  // The standalone bin is Tollgate's emulator: it seeds Tollgate's catalog.
  const emulator = await startStripeEmulator({ catalog: TOLLGATE_CATALOG, ...options });
  const endpoints = (options.webhookEndpoints ?? []).map((endpoint) => ({
    url: endpoint.url,
    ...emulator.addWebhookEndpoint(endpoint.url, endpoint.secret),
  }));
  console.log(banner(emulator, endpoints));
  if (isJson) {
    const ready = {
      url: emulator.url,
      port: emulator.port,
      prices: emulator.prices,
      products: emulator.products,
      webhookEndpoints: endpoints,
    };
    console.log(`STRIPE_EMULATOR_READY ${JSON.stringify(ready)}`);
  }
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
