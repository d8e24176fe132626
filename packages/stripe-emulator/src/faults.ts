import type { RequestHandler } from 'express';
import { StripeApiError, invalidRequest } from './errors';
import { asParams } from './form-parsing';

/** An API call made to fail on purpose, to test how a client copes (e.g. a cancel that errors once). */
export interface FailureRule {
  /** HTTP method, e.g. DELETE. */
  method: string;
  /** Exact request path, e.g. /v1/subscriptions/sub_123 (no query string). */
  path: string;
  /** Default 500 (an api_error); a 4xx answers an invalid_request_error. */
  status?: number;
  message?: string;
  code?: string;
  /** How many matching calls fail. Default 1. */
  times?: number;
}

export interface PendingFailure extends Required<Omit<FailureRule, 'code'>> {
  code: string | null;
}

export interface Failures {
  add(rule: FailureRule): PendingFailure;
  clear(): void;
  pending(): PendingFailure[];
  /** Answers a matching /v1 request with the error before any route runs: nothing changes. */
  middleware: RequestHandler;
}

export function createFailures(): Failures {
  let rules: PendingFailure[] = [];
  return {
    add(rule) {
      const status = rule.status ?? 500;
      const times = rule.times ?? 1;
      if (!Number.isInteger(status) || status < 400 || status > 599) {
        throw invalidRequest('status must be an HTTP error status (400-599)', 'status');
      }
      if (!Number.isInteger(times) || times < 1) throw invalidRequest('times must be at least 1', 'times');
      if (!rule.path.startsWith('/v1/')) throw invalidRequest('path must start with /v1/', 'path');
      const pending: PendingFailure = {
        method: rule.method.toUpperCase(),
        path: rule.path,
        status,
        message:
          rule.message ?? `Injected failure of ${rule.method.toUpperCase()} ${rule.path} (emulator control)`,
        code: rule.code ?? null,
        times,
      };
      rules.push(pending);
      return { ...pending };
    },
    clear() {
      rules = [];
    },
    pending() {
      return rules.map((rule) => ({ ...rule }));
    },
    middleware(req, res, next) {
      const path = req.originalUrl.split('?')[0];
      const rule = rules.find((candidate) => candidate.method === req.method && candidate.path === path);
      if (!rule) return next();
      rule.times -= 1;
      if (rule.times === 0) rules = rules.filter((candidate) => candidate !== rule);
      const error = new StripeApiError({
        status: rule.status,
        type: rule.status >= 500 ? 'api_error' : 'invalid_request_error',
        message: rule.message,
        ...(rule.code ? { code: rule.code } : {}),
      });
      // Like Stripe when a retry can't help: the SDK's automatic retries don't hide the failure.
      res.setHeader('Stripe-Should-Retry', 'false');
      res.status(error.status).json(error.toBody());
    },
  };
}

/** Parses a control request's JSON body into a rule. */
export function parseFailureRule(body: unknown): FailureRule {
  const params = asParams(body);
  const { method, path, status, message, code, times } = params;
  if (typeof method !== 'string' || method.length === 0) throw invalidRequest('method is required', 'method');
  if (typeof path !== 'string' || path.length === 0) throw invalidRequest('path is required', 'path');
  for (const [key, value] of Object.entries({ status, times })) {
    if (value !== undefined && typeof value !== 'number')
      throw invalidRequest(`${key} must be a number`, key);
  }
  for (const [key, value] of Object.entries({ message, code })) {
    if (value !== undefined && typeof value !== 'string')
      throw invalidRequest(`${key} must be a string`, key);
  }
  return {
    method,
    path,
    ...(typeof status === 'number' ? { status } : {}),
    ...(typeof times === 'number' ? { times } : {}),
    ...(typeof message === 'string' ? { message } : {}),
    ...(typeof code === 'string' ? { code } : {}),
  };
}
