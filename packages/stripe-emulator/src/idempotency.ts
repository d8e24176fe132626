import type { RequestHandler } from 'express';
import { StripeApiError } from './errors';

interface StoredResponse {
  method: string;
  path: string;
  fingerprint: string;
  status: number;
  body: unknown;
}

/**
 * Stripe's Idempotency-Key: a POST repeated with the same key (same path and parameters) gets the
 * first response again, with Idempotent-Replayed: true, and causes nothing new. Reusing a key for
 * another request is an idempotency_error.
 */
// The SDK sends a fresh key with every POST; keep the newest ones only (Stripe keeps them 24 h).
const MAX_STORED_KEYS = 10_000;

export function createIdempotency(): RequestHandler {
  const responses = new Map<string, StoredResponse>();
  return (req, res, next) => {
    const key = req.get('Idempotency-Key');
    if (req.method !== 'POST' || !key) {
      next();
      return;
    }
    const fingerprint = JSON.stringify(req.body ?? {});
    // captured now: req.path changes while the request travels through mounted routers
    const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
    const stored = responses.get(key);
    if (stored) {
      if (stored.method !== req.method || stored.path !== path || stored.fingerprint !== fingerprint) {
        throw new StripeApiError({
          status: 400,
          type: 'idempotency_error',
          code: 'idempotency_key_in_use',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        });
      }
      res.setHeader('Idempotent-Replayed', 'true');
      res.setHeader('Idempotency-Key', key);
      res.status(stored.status).json(stored.body);
      return;
    }
    res.setHeader('Idempotency-Key', key);
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      // Like Stripe, keep results of requests that ran (successes, card declines), not validation
      // errors or 5xx: those may be retried with the same key.
      if (res.statusCode < 400 || res.statusCode === 402) {
        responses.set(key, { method: req.method, path, fingerprint, status: res.statusCode, body });
        const oldest = responses.keys().next();
        if (responses.size > MAX_STORED_KEYS && !oldest.done) responses.delete(oldest.value);
      }
      return send(body);
    };
    next();
  };
}
