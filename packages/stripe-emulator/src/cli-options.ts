import { DEFAULT_EMULATOR_PORT } from './types';
import type { StripeEmulatorOptions } from './types';

/** The catalog is not a flag: the bin always seeds Tollgate's. */
type CliEmulatorOptions = Omit<StripeEmulatorOptions, 'catalog'>;

export interface CliOptions {
  options: CliEmulatorOptions;
  isJson: boolean;
  isHelp: boolean;
}

export const CLI_USAGE = `Usage: tollgate-stripe-emulator [options]

  --port <n>              port to listen on (default ${DEFAULT_EMULATOR_PORT}; env STRIPE_EMULATOR_PORT; 0 = random)
  --host <host>           interface to bind (default 127.0.0.1; env STRIPE_EMULATOR_HOST)
  --public-url <url>      origin for hosted page links (env STRIPE_EMULATOR_PUBLIC_URL)
  --webhook <url>[,<whsec_…>]
                          deliver events to <url>, optionally with a fixed secret; repeatable
                          (env STRIPE_EMULATOR_WEBHOOK_URL + STRIPE_EMULATOR_WEBHOOK_SECRET)
  --retry-schedule <s,…>  renewal payment retries, seconds after each failure (default 3, 5, 7 days)
  --end-state <state>     after the last failed retry: canceled (default) or unpaid
  --snapshot <file>       load state from / save state to this JSON file (env STRIPE_EMULATOR_SNAPSHOT)
  --start-time <iso>      emulator clock start (default now)
  --json                  also print one machine-readable line: STRIPE_EMULATOR_READY {…}
  --help                  show this help`;

function parseNumberList(value: string, flag: string): number[] {
  const numbers = value.split(',').map((part) => Number(part.trim()));
  if (numbers.some((n) => !Number.isFinite(n) || n < 0))
    throw new Error(`${flag}: expected numbers, got ${value}`);
  return numbers;
}

function parseWebhook(value: string): { url: string; secret?: string } {
  const [url = '', secret] = value.split(',');
  return secret ? { url, secret } : { url };
}

/** argv (without node and the script) plus environment fallbacks -> emulator options. */
export function parseCliOptions(argv: string[], env: Record<string, string | undefined>): CliOptions {
  const options: CliEmulatorOptions = {
    port: Number(env.STRIPE_EMULATOR_PORT ?? DEFAULT_EMULATOR_PORT),
    host: env.STRIPE_EMULATOR_HOST ?? '127.0.0.1',
    webhookEndpoints: env.STRIPE_EMULATOR_WEBHOOK_URL
      ? [
          env.STRIPE_EMULATOR_WEBHOOK_SECRET
            ? { url: env.STRIPE_EMULATOR_WEBHOOK_URL, secret: env.STRIPE_EMULATOR_WEBHOOK_SECRET }
            : { url: env.STRIPE_EMULATOR_WEBHOOK_URL },
        ]
      : [],
  };
  if (env.STRIPE_EMULATOR_PUBLIC_URL) options.publicUrl = env.STRIPE_EMULATOR_PUBLIC_URL;
  if (env.STRIPE_EMULATOR_SNAPSHOT) options.snapshotFile = env.STRIPE_EMULATOR_SNAPSHOT;
  let isJson = false;
  let isHelp = false;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] ?? '';
    const value = (): string => {
      const next = argv[i + 1];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      i += 1;
      return next;
    };
    // `pnpm start -- --port 1` forwards the separator itself
    if (flag === '--') continue;
    if (flag === '--port') options.port = Number(value());
    else if (flag === '--host') options.host = value();
    else if (flag === '--public-url') options.publicUrl = value();
    else if (flag === '--webhook')
      options.webhookEndpoints = [...(options.webhookEndpoints ?? []), parseWebhook(value())];
    else if (flag === '--retry-schedule') options.retrySchedule = parseNumberList(value(), flag);
    else if (flag === '--end-state') {
      const state = value();
      if (state !== 'canceled' && state !== 'unpaid')
        throw new Error(`--end-state: canceled or unpaid, got ${state}`);
      options.endStateAfterRetries = state;
    } else if (flag === '--snapshot') options.snapshotFile = value();
    else if (flag === '--start-time') options.startTime = new Date(value());
    else if (flag === '--json') isJson = true;
    else if (flag === '--help' || flag === '-h') isHelp = true;
    else throw new Error(`unknown option ${flag}\n\n${CLI_USAGE}`);
  }
  if (!Number.isInteger(options.port) || (options.port ?? 0) < 0)
    throw new Error(`invalid port: ${options.port}`);
  return { options, isJson, isHelp };
}
