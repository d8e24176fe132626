/**
 * `pnpm --filter @tollgate/bench bench:webhooks`: only the webhook figures of the full bench — signed
 * deliveries through the real route (signature verified, duplicates, the subscription re-fetched from the
 * Stripe emulator before each transaction), events applied per second beside the same server's bare
 * JSON route. Prints the RESULTS.md rows; the full `pnpm bench` writes the file.
 */
import { createDb } from '@tollgate/db';
import { createScratchDatabase } from '@tollgate/db/testing';
import { ok, rowLine } from './report-format';
import { webhookDetail, webhookExactnessLine, webhookRows } from './report-webhooks';
import { measureWebhooks } from './webhooks';

async function main(): Promise<void> {
  const scratch = await createScratchDatabase(
    process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const handle = await createDb({ databaseUrl: scratch.url });
  try {
    const webhooks = await measureWebhooks(handle, { ignored: 3000, subscription: 600 });
    const lines = [
      ...webhookRows(webhooks).map(rowLine),
      webhookExactnessLine(webhooks, ok),
      webhookDetail(webhooks),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await handle.close();
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
