import type { RequestHandler } from 'express';
import { StripeApiError } from './errors';

/** Bearer auth (what the SDK sends) or Basic auth with the key as user name (curl -u sk_test_…:). */
function apiKeyOf(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value = ''] = header.split(' ');
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic')
    return Buffer.from(value, 'base64').toString('utf8').split(':')[0] ?? '';
  return null;
}

function redact(key: string): string {
  return key.length <= 12 ? key : `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

/** Any sk_test_ key is accepted; nothing else is, in Stripe's 401 format. */
export const requireTestKey: RequestHandler = (req, _res, next) => {
  const key = apiKeyOf(req.get('Authorization'));
  if (key === null || key === '') {
    throw new StripeApiError({
      status: 401,
      type: 'invalid_request_error',
      code: 'api_key_missing',
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    });
  }
  if (!key.startsWith('sk_test_')) {
    throw new StripeApiError({
      status: 401,
      type: 'invalid_request_error',
      code: 'api_key_invalid',
      message: `Invalid API Key provided: ${redact(key)} (the Stripe emulator accepts any sk_test_ key)`,
    });
  }
  next();
};
