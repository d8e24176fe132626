/**
 * `pnpm --filter @tollgate/bench bench:webhooks`: only the webhook figures of the full bench — signed
 * deliveries through the real route (signature verified, duplicates, the subscription re-fetched from the
 * Stripe emulator before each transaction), events applied per second beside the same server's bare
 * JSON route. Prints the RESULTS.md rows; the full `pnpm bench` writes the file.
 */
import { runBenchScript, withScratchDatabase } from './bench-script';
import { ok, rowLine } from './report-format';
import { webhookDetail, webhookExactnessLine, webhookRows } from './report-webhooks';
import { measureWebhooks, WEBHOOK_EVENTS } from './webhooks';

async function main(): Promise<void> {
  await withScratchDatabase(async (handle) => {
    const webhooks = await measureWebhooks(handle, WEBHOOK_EVENTS);
    const lines = [
      ...webhookRows(webhooks).map(rowLine),
      webhookExactnessLine(webhooks, ok),
      webhookDetail(webhooks),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

runBenchScript(main);
