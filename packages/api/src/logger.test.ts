import { describe, expect, it } from 'vitest';
import { createJsonLogger, pinoLoggerOf, REDACTED, type Logger } from './logger';

function capture() {
  const lines: string[] = [];
  const logger = createJsonLogger((line) => lines.push(line));
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

describe('createJsonLogger', () => {
  it('writes one JSON object per line: level label, ISO time, fields and msg', () => {
    const { logger, lines, parsed } = capture();
    logger.info('credits granted', { accountId: 'acc_1', units: 5, report: { checked: 2 } });
    logger.warn('seat sync failed');
    logger.error('reconcile failed', { attempt: 3 });

    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    const [info, warn, error] = parsed();
    expect(info).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      msg: 'credits granted',
      accountId: 'acc_1',
      units: 5,
      report: { checked: 2 },
    });
    expect(Date.parse(String(info?.time))).toBeGreaterThan(Date.now() - 60_000);
    expect(warn).toMatchObject({ level: 'warn', msg: 'seat sync failed' });
    expect(error).toMatchObject({ level: 'error', msg: 'reconcile failed', attempt: 3 });
  });

  it('keeps the error message, whether logged as text or as an Error', () => {
    const { logger, parsed } = capture();
    logger.error('stripe webhook failed', { error: String(new Error('connection reset by peer')) });
    logger.error('procedure failed', { error: new TypeError('cannot read properties of undefined') });

    const [asText, asError] = parsed();
    expect(asText?.error).toBe('Error: connection reset by peer');
    expect(asError?.error).toMatchObject({
      type: 'TypeError',
      message: 'cannot read properties of undefined',
      stack: expect.stringContaining('TypeError: cannot read properties of undefined'),
    });
  });
});

describe('redaction', () => {
  const SECRET = 's3cr3t-value-that-must-not-leak';

  it.each([
    ['a top-level password', { password: SECRET }],
    ['a nested password', { input: { user: { newPassword: SECRET } } }],
    ['a password deeper than any redact path', { a: { b: { c: { d: { currentPassword: SECRET } } } } }],
    ['tokens', { accessToken: SECRET, refreshToken: SECRET, token: SECRET }],
    ['API keys and secrets', { apiKey: SECRET, key: SECRET, secret: SECRET, client_secret: SECRET }],
    ['an Authorization header', { req: { headers: { authorization: SECRET } } }],
    ['a capitalised Authorization header', { headers: { Authorization: SECRET } }],
    ['a cookie', { req: { headers: { cookie: SECRET } } }],
    ['a Stripe signature header', { headers: { 'stripe-signature': SECRET } }],
    ['a card', { paymentMethod: { card: { number: SECRET, cvc: '123' } } }],
    ['a card number and cvc outside a card', { cardNumber: SECRET, cvc: SECRET }],
    ['a password inside an array', { users: [{ password: SECRET }] }],
  ])('hides %s', (_name, fields) => {
    const { logger, lines } = capture();
    logger.info('something happened', fields);
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).toContain(REDACTED);
  });

  it.each([
    ['a tg_sk_ API key', 'tg_sk_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo', 'tg_sk_'],
    ['a bearer credential', 'Bearer abc.def-ghi', 'Bearer '],
    ['a Stripe secret key', 'sk_live_51Habcdefghijklmnop', 'sk_live_'],
    ['a Stripe webhook secret', 'whsec_abcdefghijklmnop', 'whsec_'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl', ''],
  ])('hides %s by its look, in any field, the message and an error', (_name, secret, prefix) => {
    const { logger, lines } = capture();
    const body = secret.slice(prefix.length);
    logger.warn(`call refused for ${secret}`, {
      error: String(new Error(`401 with ${secret}`)),
      details: { header: `x ${secret} y` },
      cause: new Error(`upstream said ${secret}`),
    });
    const line = lines[0] ?? '';
    expect(line).not.toContain(body);
    // The message, `error`, the header, and the cause's message and stack: five places.
    expect(line.split(`${prefix}${REDACTED}`)).toHaveLength(6);
  });

  it('leaves what is not secret alone, and the caller’s fields untouched', () => {
    const { logger, parsed } = capture();
    const fields = {
      bootstrapToken: 'tg_boot_Zm9vYmFy', // printed once on purpose: the first operator claims it
      user: { email: 'ada@example.test', password: 'hunter2' },
      prices: ['price_123'],
      keyPrefix: 'tg_sk_abc', // a 6-char display prefix is still a key's look: hidden too
      when: new Date('2026-01-02T03:04:05.000Z'),
    };
    logger.info('operator bootstrap', fields);

    expect(parsed()[0]).toMatchObject({
      bootstrapToken: 'tg_boot_Zm9vYmFy',
      user: { email: 'ada@example.test', password: REDACTED },
      prices: ['price_123'],
      keyPrefix: `tg_sk_${REDACTED}`,
      when: '2026-01-02T03:04:05.000Z',
    });
    expect(fields.user.password).toBe('hunter2');
  });

  it('applies to child bindings, as pino-http binds the request', () => {
    const { logger, parsed } = capture();
    pinoLoggerOf(logger)
      .child({
        req: { method: 'GET', headers: { authorization: 'Bearer x', cookie: 'sid=1', accept: '*/*' } },
      })
      .info('request completed');

    expect(parsed()[0]).toMatchObject({
      req: { method: 'GET', headers: { authorization: REDACTED, cookie: REDACTED, accept: '*/*' } },
    });
  });
});

describe('pinoLoggerOf', () => {
  it('gives a JSON logger’s own pino instance, writing to the same place', () => {
    const { logger, parsed } = capture();
    pinoLoggerOf(logger).info({ requestId: 'r1' }, 'request completed');
    expect(parsed()[0]).toMatchObject({ level: 'info', msg: 'request completed', requestId: 'r1' });
  });

  it('hands any other Logger each line as a call, redacted, at its level', () => {
    const calls: [string, string, Record<string, unknown> | undefined][] = [];
    const record = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      void calls.push([level, message, fields]);
    const custom: Logger = { info: record('info'), warn: record('warn'), error: record('error') };

    const pinoLogger = pinoLoggerOf(custom);
    pinoLogger.info({ requestId: 'r1', token: 'abc' }, 'request completed');
    pinoLogger.warn('slow');
    pinoLogger.error({ status: 500 }, 'request errored');
    pinoLogger.fatal('down');

    expect(calls).toEqual([
      ['info', 'request completed', { requestId: 'r1', token: REDACTED }],
      ['warn', 'slow', {}],
      ['error', 'request errored', { status: 500 }],
      ['error', 'down', {}],
    ]);
  });
});
