import pino, { type DestinationStream, type LoggerOptions, type Logger as PinoLogger } from 'pino';

/** The small logging surface the API needs; the server passes a JSON-lines implementation. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Writes out what an asynchronous destination still holds: call it before the process exits. */
  flush?(): void;
}

export const REDACTED = '[Redacted]';

/**
 * Field names whose value never reaches a log line, at any depth. `card` goes whole (number, cvc,
 * expiry: no field of it is worth the risk). `bootstrapToken` is left out on purpose: the first
 * operator's one-time token is printed through the log by design (README, "first API key").
 */
const SENSITIVE_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'apiKey',
  'key',
  'secret',
  'clientSecret',
  'client_secret',
  'webhookSecret',
  'authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'stripe-signature',
  'card',
  'cardNumber',
  'card_number',
  'cvc',
  'cvv',
];
const SENSITIVE_KEY_SET = new Set(SENSITIVE_KEYS.map((key) => key.toLowerCase()));

const quoted = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`);

/**
 * pino's redact works by path, also in child bindings such as pino-http's `req`: every sensitive key at
 * the top, and the header paths a request or Stripe call would carry. No wildcards: `*.password`
 * paths cost 50-125 µs a line (measured, pino 9.14) against about 3 µs without; `scrub` below finds
 * the same keys at any depth for a fraction of that.
 */
export const REDACT_PATHS = [
  ...SENSITIVE_KEYS.map(quoted),
  ...['req.headers', 'request.headers', 'headers'].flatMap((headers) =>
    ['authorization', 'cookie', 'x-api-key', 'stripe-signature'].map(
      (name) => `${headers}${name.includes('-') ? `["${name}"]` : `.${name}`}`,
    ),
  ),
  'res.headers["set-cookie"]',
];

/**
 * Secrets recognisable by their value, whatever the field: Tollgate API keys, Stripe secret,
 * restricted and webhook keys, bearer credentials, JWTs. The prefix stays so a line still says what
 * was there.
 */
const SECRET_IN_TEXT =
  /\b(tg_sk_|[sr]k_(?:live|test)_|whsec_|Bearer +)[\w.~+/=-]+|\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/gi;

export function scrubText(text: string): string {
  return text.replace(SECRET_IN_TEXT, (_match, prefix?: string) => `${prefix ?? ''}${REDACTED}`);
}

const MAX_SCRUB_DEPTH = 6;

/** Copies only what it changes: a line with nothing to hide costs a walk, no allocation. */
function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > MAX_SCRUB_DEPTH) return value;
  // { type, message, stack, cause… } as a plain object, so messages and stacks are scrubbed too.
  if (value instanceof Error) return scrub({ ...pino.stdSerializers.err(value) }, depth);
  if (Array.isArray(value)) {
    const items = value.map((item) => scrub(item, depth + 1));
    return items.some((item, index) => item !== value[index]) ? items : value;
  }
  // Class instances (an http response under pino-http, Dates, Buffers) are serialized by their owner.
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  let copy: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value)) {
    const next = SENSITIVE_KEY_SET.has(key.toLowerCase()) ? REDACTED : scrub(item, depth + 1);
    if (next === item) continue;
    copy ??= { ...value };
    copy[key] = next;
  }
  return copy ?? value;
}

const PINO_OPTIONS: LoggerOptions = {
  base: undefined, // no pid/hostname on every line
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: {
    level: (label) => ({ level: label }),
    log: (fields) => scrub(fields, 0) as Record<string, unknown>,
  },
  // scrub has already turned Errors into { type, message, stack }: serializing again would lose `type`.
  serializers: { err: (value: unknown) => value },
  redact: { paths: REDACT_PATHS, censor: REDACTED },
};

const pinoBehind = new WeakMap<Logger, PinoLogger>();

/**
 * One JSON object per line: `level` (label), ISO `time`, the fields, `msg`. By default lines go to
 * stdout through pino's asynchronous destination (off the request's path; flushed on exit and by
 * `flush()`); tests pass `write` to capture them.
 */
export function createJsonLogger(write?: (line: string) => void): Logger & { flush(): void } {
  const destination = write ? { write } : pino.destination({ dest: 1, sync: false });
  const instance = pino(PINO_OPTIONS, destination);
  const logger = {
    info: (message: string, fields?: Record<string, unknown>) =>
      instance.info(fields ?? {}, scrubText(message)),
    warn: (message: string, fields?: Record<string, unknown>) =>
      instance.warn(fields ?? {}, scrubText(message)),
    error: (message: string, fields?: Record<string, unknown>) =>
      instance.error(fields ?? {}, scrubText(message)),
    flush: () => flushQuietly(destination),
  };
  pinoBehind.set(logger, instance);
  return logger;
}

function flushQuietly(destination: DestinationStream | { write(line: string): void }): void {
  if (!('flushSync' in destination) || typeof destination.flushSync !== 'function') return;
  try {
    destination.flushSync();
  } catch {
    // Shutting down with stdout gone (EPIPE): nothing left to write to, and exiting matters more.
  }
}

/**
 * The pino instance behind a logger, for pino-http: a JSON logger's own (same options, same
 * destination); any other Logger (a test's capture) gets one whose lines are handed to it as calls.
 */
export function pinoLoggerOf(logger: Logger): PinoLogger {
  return pinoBehind.get(logger) ?? pino(PINO_OPTIONS, { write: (line: string) => forwardLine(logger, line) });
}

function forwardLine(logger: Logger, line: string): void {
  const { level, msg, time: _time, ...fields } = JSON.parse(line) as Record<string, unknown>;
  const message = typeof msg === 'string' ? msg : '';
  if (level === 'error' || level === 'fatal') logger.error(message, fields);
  else if (level === 'warn') logger.warn(message, fields);
  else logger.info(message, fields);
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
