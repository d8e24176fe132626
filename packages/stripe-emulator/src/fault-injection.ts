import type { RequestHandler, Response } from 'express';
import { StripeApiError, invalidRequest } from './errors';
import { asParams } from './form-parsing';
import { newId } from './ids';
import { seededRandom } from './webhooks/seeded-random';

/**
 * A standing fault on API calls, to make Stripe slow, failing or ambiguous on demand: every call whose
 * method and path match is hit with probability `rate` (drawn from a PRNG seeded with `seed`, so a
 * run is reproducible), and a hit gets the rule's effects, in this order:
 * - `latencyMs`: the call waits this long before anything else happens;
 * - `status`: answered with a Stripe error and nothing changes (429 carries `Retry-After`, 402 is a
 *   card_error, 5xx an api_error, other 4xx an invalid_request_error);
 * - `dropResponse`: the call is processed (its effect is applied, its idempotency key stored), then the
 *   socket is closed instead of answering, so the client can't know whether it happened.
 * A rule with only `latencyMs` slows the calls down and lets them succeed.
 *
 * Rules compose (see `decide`): the matching ones get their chance in the order they were installed,
 * latency adds up, and the first hit that answers an error or drops the response decides the call.
 */
export interface FaultRule {
  /** HTTP method, or `*` for any. */
  method: string;
  /**
   * The /v1 path: exact (`/v1/subscriptions/sub_123`), with `:name` segments
   * (`/v1/subscriptions/:id`) or ending in `*` (`/v1/subscriptions/*`: everything below it).
   */
  path: string;
  /** Error answered on a hit (400-599). Omit for latency or a dropped response only. */
  status?: number;
  /** Share of matching calls hit, 0-1. Default 1. */
  rate?: number;
  /** Seed of the PRNG that draws `rate`. Default 1. */
  seed?: number;
  latencyMs?: number;
  dropResponse?: boolean;
  /** `Retry-After` of a 429, in seconds. Default 1. */
  retryAfterSeconds?: number;
  message?: string;
  code?: string;
  /** A 402's decline_code. Default generic_decline. */
  declineCode?: string;
  /** `Stripe-Should-Retry` sent with an injected error; unset = not sent (the SDK decides, as with Stripe). */
  shouldRetry?: boolean;
  /** Hits after which the rule ends. Default: it stays until removed. */
  times?: number;
}

export interface ActiveFault {
  id: string;
  rule: FaultRule;
  /** Calls that matched the method and path. */
  matched: number;
  /** Of those, the calls the fault was injected into. */
  hits: number;
}

export interface FaultInjection {
  set(rule: FaultRule): ActiveFault;
  list(): ActiveFault[];
  remove(id: string): boolean;
  clear(): void;
  /** Applies the matching faults to a /v1 request (see `decide`). */
  middleware: RequestHandler;
}

interface Installed {
  fault: ActiveFault;
  matches(method: string, path: string): boolean;
  random: () => number;
}

const MAX_LATENCY_MS = 120_000;

export function createFaultInjection(): FaultInjection {
  let installed: Installed[] = [];

  /**
   * What the installed faults do to one call. Each matching rule, in installation order, gets its
   * chance (its own seeded draw against its own `rate`), so independent rules on the same path are all
   * active at once: a hit that only adds latency lets the next rule have its chance too, and the first
   * hit with an outcome (`status` or `dropResponse`) decides the call, after which later rules are not
   * consulted and don't count it as matched. Two outcome rules therefore split the calls: the second's
   * `rate` applies to the calls the first let through.
   */
  function decide(method: string, path: string): { latencyMs: number; outcome: FaultRule | null } {
    let latencyMs = 0;
    for (const entry of [...installed]) {
      if (!entry.matches(method, path)) continue;
      const { fault } = entry;
      fault.matched += 1;
      if (entry.random() >= (fault.rule.rate ?? 1)) continue;
      fault.hits += 1;
      if (fault.rule.times !== undefined && fault.hits >= fault.rule.times) {
        installed = installed.filter((other) => other !== entry);
      }
      latencyMs += fault.rule.latencyMs ?? 0;
      if (fault.rule.status !== undefined || fault.rule.dropResponse)
        return { latencyMs, outcome: fault.rule };
    }
    return { latencyMs, outcome: null };
  }

  return {
    set(rule) {
      const checked = validateFaultRule(rule);
      const fault: ActiveFault = { id: newId('fault'), rule: checked, matched: 0, hits: 0 };
      installed.push({
        fault,
        matches: matcherOf(checked.method, checked.path),
        random: seededRandom(checked.seed ?? 1),
      });
      return snapshot(fault);
    },
    list: () => installed.map((entry) => snapshot(entry.fault)),
    remove(id) {
      const before = installed.length;
      installed = installed.filter((entry) => entry.fault.id !== id);
      return installed.length < before;
    },
    clear() {
      installed = [];
    },
    middleware(req, res, next) {
      const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
      const { latencyMs, outcome } = decide(req.method, path);
      const proceed = () => {
        if (outcome?.status !== undefined) return answerError(res, outcome);
        if (outcome?.dropResponse) dropResponse(res);
        next();
      };
      if (latencyMs > 0) setTimeout(proceed, latencyMs);
      else proceed();
    },
  };
}

function snapshot(fault: ActiveFault): ActiveFault {
  return { ...fault, rule: { ...fault.rule } };
}

function answerError(res: Response, rule: FaultRule): void {
  const status = rule.status ?? 500;
  const error = errorOf(status, rule);
  if (status === 429) res.setHeader('Retry-After', String(rule.retryAfterSeconds ?? 1));
  if (rule.shouldRetry !== undefined) res.setHeader('Stripe-Should-Retry', String(rule.shouldRetry));
  res.status(status).json(error.toBody());
}

function errorOf(status: number, rule: FaultRule): StripeApiError {
  const injected = `(emulator fault injection)`;
  if (status === 402) {
    return new StripeApiError({
      status,
      type: 'card_error',
      code: rule.code ?? 'card_declined',
      declineCode: rule.declineCode ?? 'generic_decline',
      message: rule.message ?? `Your card was declined. ${injected}`,
    });
  }
  if (status === 429) {
    return new StripeApiError({
      status,
      type: 'invalid_request_error',
      code: rule.code ?? 'rate_limit',
      message: rule.message ?? `Too many requests hit the API too quickly. ${injected}`,
    });
  }
  return new StripeApiError({
    status,
    type: status >= 500 ? 'api_error' : 'invalid_request_error',
    ...(rule.code ? { code: rule.code } : {}),
    message: rule.message ?? `Injected ${status} ${injected}`,
  });
}

/** The route runs and its effect stays; the answer never leaves: the socket closes instead. */
function dropResponse(res: Response): void {
  const socket = res.req.socket;
  res.end = (() => {
    socket.destroy();
    return res;
  }) as Response['end'];
}

function matcherOf(method: string, path: string): (method: string, path: string) => boolean {
  const wantedMethod = method.toUpperCase();
  const segments = path.split('/');
  const isPrefix = segments.at(-1) === '*';
  const fixed = isPrefix ? segments.slice(0, -1) : segments;
  return (actualMethod, actualPath) => {
    if (wantedMethod !== '*' && wantedMethod !== actualMethod) return false;
    const actual = actualPath.split('/');
    if (isPrefix ? actual.length <= fixed.length : actual.length !== fixed.length) return false;
    return fixed.every((segment, index) => segment.startsWith(':') || segment === actual[index]);
  };
}

function validateFaultRule(rule: FaultRule): FaultRule {
  const { method, path, status, rate, latencyMs, times, retryAfterSeconds } = rule;
  if (!/^([A-Za-z]+|\*)$/.test(method)) throw invalidRequest('method must be an HTTP method or *', 'method');
  if (!path.startsWith('/v1/')) throw invalidRequest('path must start with /v1/', 'path');
  if (status !== undefined && (!Number.isInteger(status) || status < 400 || status > 599)) {
    throw invalidRequest('status must be an HTTP error status (400-599)', 'status');
  }
  if (rate !== undefined && !(rate >= 0 && rate <= 1))
    throw invalidRequest('rate must be within 0-1', 'rate');
  if (
    latencyMs !== undefined &&
    !(Number.isInteger(latencyMs) && latencyMs >= 0 && latencyMs <= MAX_LATENCY_MS)
  ) {
    throw invalidRequest(`latencyMs must be an integer within 0-${MAX_LATENCY_MS}`, 'latencyMs');
  }
  if (times !== undefined && !(Number.isInteger(times) && times >= 1)) {
    throw invalidRequest('times must be at least 1', 'times');
  }
  if (retryAfterSeconds !== undefined && !(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 0)) {
    throw invalidRequest('retryAfterSeconds must be a whole number of seconds', 'retryAfterSeconds');
  }
  if (status !== undefined && rule.dropResponse) {
    throw invalidRequest(
      'a fault either answers an error (status) or drops the response, not both',
      'status',
    );
  }
  if (status === undefined && !rule.dropResponse && !latencyMs) {
    throw invalidRequest('a fault needs status, latencyMs or dropResponse', 'status');
  }
  return { ...rule, method: method.toUpperCase() };
}

const NUMBER_FIELDS = ['status', 'rate', 'seed', 'latencyMs', 'retryAfterSeconds', 'times'] as const;
const STRING_FIELDS = ['message', 'code', 'declineCode'] as const;
const BOOLEAN_FIELDS = ['dropResponse', 'shouldRetry'] as const;

/** Parses a control request's JSON body into a rule (validated again by set()). */
export function parseFaultRule(body: unknown): FaultRule {
  const params = asParams(body);
  const { method, path } = params;
  if (typeof method !== 'string' || method.length === 0) throw invalidRequest('method is required', 'method');
  if (typeof path !== 'string' || path.length === 0) throw invalidRequest('path is required', 'path');
  const rule: FaultRule = { method, path };
  for (const key of NUMBER_FIELDS) {
    const value = params[key];
    if (value === undefined) continue;
    if (typeof value !== 'number') throw invalidRequest(`${key} must be a number`, key);
    rule[key] = value;
  }
  for (const key of STRING_FIELDS) {
    const value = params[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalidRequest(`${key} must be a string`, key);
    rule[key] = value;
  }
  for (const key of BOOLEAN_FIELDS) {
    const value = params[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw invalidRequest(`${key} must be a boolean`, key);
    rule[key] = value;
  }
  return rule;
}
