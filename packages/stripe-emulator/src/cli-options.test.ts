import { describe, expect, it } from 'vitest';
import { parseCliOptions } from './cli-options';

describe('parseCliOptions', () => {
  it('defaults to 127.0.0.1:12111 and reads environment fallbacks', () => {
    expect(parseCliOptions([], {}).options).toMatchObject({
      port: 12111,
      host: '127.0.0.1',
      webhookEndpoints: [],
    });
    const fromEnv = parseCliOptions([], {
      STRIPE_EMULATOR_PORT: '4000',
      STRIPE_EMULATOR_WEBHOOK_URL: 'http://localhost:3000/api/webhooks/stripe',
      STRIPE_EMULATOR_WEBHOOK_SECRET: 'whsec_dev',
    });
    expect(fromEnv.options).toMatchObject({
      port: 4000,
      webhookEndpoints: [{ url: 'http://localhost:3000/api/webhooks/stripe', secret: 'whsec_dev' }],
    });
  });

  it('parses flags, including the -- that pnpm forwards', () => {
    const parsed = parseCliOptions(
      [
        '--',
        '--port',
        '0',
        '--webhook',
        'http://a/hook,whsec_x',
        '--webhook',
        'http://b/hook',
        '--retry-schedule',
        '60,120',
        '--end-state',
        'unpaid',
        '--json',
      ],
      {},
    );
    expect(parsed.isJson).toBe(true);
    expect(parsed.options).toMatchObject({
      port: 0,
      webhookEndpoints: [{ url: 'http://a/hook', secret: 'whsec_x' }, { url: 'http://b/hook' }],
      retrySchedule: [60, 120],
      endStateAfterRetries: 'unpaid',
    });
  });

  it('rejects unknown flags and bad values', () => {
    expect(() => parseCliOptions(['--nope'], {})).toThrow(/unknown option/);
    expect(() => parseCliOptions(['--end-state', 'paused'], {})).toThrow(/end-state/);
    expect(() => parseCliOptions(['--port', 'x'], {})).toThrow(/invalid port/);
  });
});
