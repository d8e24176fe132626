import fc from 'fast-check';
import { stringArbitrary } from './arbitraries';
import type { FuzzRequest } from './raw-http';

/** The HTTP around a body: content types, methods, path segments, extra headers, raw requests. */
export const contentTypeArbitrary: fc.Arbitrary<string | null> = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      null,
      'application/json; charset=utf-8',
      'application/json; charset=utf-16le',
      'application/json; charset=latin1',
      'application/json; charset=bogus',
      'application/json;;;',
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=----x',
      'application/xml',
      'application/octet-stream',
      'application/jsonl',
      'application/vnd.api+json',
      '*/*',
      '',
      'application/json, text/plain',
      'garbage',
    ),
    weight: 4,
  },
);

export const methodArbitrary = fc.constantFrom(
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'PROPFIND',
  'FUZZ',
);

/** A path segment for `:id`: valid ids, percent-encoded garbage, invalid percent escapes. */
export const segmentArbitrary: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.uuid(), weight: 3 },
  {
    arbitrary: stringArbitrary().map((text) =>
      encodeURIComponent(text.replace(/\p{Surrogate}/gu, '')).slice(0, 8_000),
    ),
    weight: 3,
  },
  {
    arbitrary: fc.constantFrom(
      '%ED%A0%80',
      '%C0%AF',
      '%E0%80%AF',
      '%FF',
      '%',
      '%zz',
      '%00',
      '..',
      '%2e%2e',
      '%2F',
      '__proto__',
      'constructor',
      'a'.repeat(20_000),
    ),
    weight: 2,
  },
);

/** Extra headers: oversized, many, odd values for the ones the server reads. */
export const headersArbitrary: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { arbitrary: fc.constant({}), weight: 10 },
  {
    arbitrary: fc.integer({ min: 1_000, max: 80_000 }).map((size) => ({ 'x-fuzz': 'a'.repeat(size) })),
    weight: 1,
  },
  {
    arbitrary: fc
      .integer({ min: 50, max: 500 })
      .map((count) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-fuzz-${i}`, `${i}`]))),
    weight: 1,
  },
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'x-request-id',
          'x-forwarded-for',
          'content-encoding',
          'trpc-accept',
          'trpc-batch-mode',
          'accept',
          'accept-charset',
          'cookie',
          'origin',
          'expect',
          'range',
          'if-none-match',
        ),
        fc.oneof(
          stringArbitrary().map((text) => text.replace(/[^\x20-\x7e]/g, '?')),
          fc.constantFrom(
            'gzip',
            'deflate',
            'br',
            'compress',
            'identity, gzip',
            'application/jsonl',
            'stream',
            '100-continue',
            'bytes=0-1',
            '1.2.3.4, unknown, ::ffff:127.0.0.1, 999.999.999.999',
            'x'.repeat(5_000),
          ),
        ),
      )
      .map(([name, value]) => ({ [name]: value })),
    weight: 3,
  },
  {
    // Control bytes and non-ASCII in a header value (sent as raw bytes).
    arbitrary: fc
      .constantFrom('\u0000', '\u007f', 'caf\u00e9', '\u00ff\u00fe', 'a\rb', 'a\nb')
      .map((value) => ({ 'x-fuzz': value })),
    weight: 1,
  },
);

/** Hand-made raw requests that break HTTP itself; node:http's parser must answer them. */
export const rawRequestArbitrary: fc.Arbitrary<FuzzRequest> = fc
  .constantFrom(
    'GET / HTTP/1.1\r\n\r\n',
    'GARBAGE\r\n\r\n',
    'GET /api/v1/health/ready HTTP/9.9\r\nHost: x\r\n\r\n',
    'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n',
    'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}',
    'POST /api/trpc/usage.authorize HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
    'POST /api/trpc/usage.authorize HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}',
    'GET /api/v1/sessions/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /api/trpc/auth.me?input=%ED%A0%80 HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Bad\u0000: 1\r\n\r\n',
    'GET /api/v1/health HTTP/1.1\r\nHost: x\r\n Folded: continuation\r\n\r\n',
    `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  )
  .map((text): FuzzRequest => ({
    method: 'RAW',
    path: text.split(' ')[1] ?? '',
    headers: {},
    raw: Buffer.from(text, 'latin1'),
  }));
