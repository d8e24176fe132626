import fc from 'fast-check';

/**
 * What the fuzzer puts in a body, as fast-check arbitraries: hostile values (wrong types, lone
 * surrogates, NUL, huge and deeply nested), bodies that are not what they claim (bad JSON, overlong
 * UTF-8 bytes) and prototype-pollution keys kept as real JSON keys. The HTTP around them (methods,
 * content types, headers) is in http-arbitraries.ts.
 */

/** One place the server answers: a REST operation, a tRPC procedure, or another route. */
export interface Target {
  kind: 'rest' | 'trpc' | 'route';
  /** `POST /sessions/:id/runs`, `usage.authorize`, … */
  name: string;
  method: string;
  /** Path template under the server root; `:name` segments are filled by the fuzzer. */
  path: string;
}

/** A generated JSON value, kept as a tree so objects can hold any key (`__proto__`) and duplicates. */
export type JsonTree =
  | { kind: 'scalar'; value: string | number | boolean | null }
  | { kind: 'array'; items: JsonTree[] }
  | { kind: 'object'; entries: [string, JsonTree][] };

export const POLLUTION_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
];

// Lone UTF-16 surrogates (no UTF-8 form) and other text that has broken servers before.
const LONE_SURROGATES = ['\ud800', '\udfff', 'user-\udbff', '\udc00x', 'a\ud800b', '\udfff\ud800'];
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202e\u0041',
  '\ufeffBOM',
  '\uffff',
  '😀',
  '%00',
  '%ED%A0%80',
  '../../etc/passwd',
  "' OR 1=1 --",
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '\r\nX-Injected: 1',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  'null',
  'true',
  '[]',
  '{}',
  ...POLLUTION_KEYS,
  'x'.repeat(129),
  'y'.repeat(5_000),
];
/** Values that pass the schemas, so the fuzzer also reaches the code behind them. */
const PLAUSIBLE_STRINGS = [
  'run-1',
  'task-2024-0001',
  'sha256-abc',
  'user_123',
  'host-user-1',
  'BASIC',
  'PRO',
  'ENTERPRISE',
  'runs:authorize',
  'runs:release',
  'subscriptions:read',
  'http://app.tollgate.test/settings',
  'https://evil.example/phish',
  'fuzz@example.test',
  'correct horse battery',
  '00000000-0000-0000-0000-000000000000',
];

export function stringArbitrary(known: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...PLAUSIBLE_STRINGS, ...known), weight: 4 },
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 3 },
    { arbitrary: fc.constantFrom(...LONE_SURROGATES), weight: 2 },
    { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
    { arbitrary: fc.uuid(), weight: 1 },
    // fc.emailAddress() is slow to generate; a made-up local part in front of odd domains does the job.
    {
      arbitrary: fc
        .tuple(
          fc.string({ maxLength: 12 }),
          fc.constantFrom('example.test', 'EXAMPLE.test', 'x', '', '[::1]'),
        )
        .map(([local, domain]) => `${local}@${domain}`),
      weight: 1,
    },
  );
}

const scalarArbitrary = (known: readonly string[]): fc.Arbitrary<JsonTree> =>
  fc
    .oneof(
      { arbitrary: stringArbitrary(known), weight: 6 },
      { arbitrary: fc.integer(), weight: 1 },
      {
        arbitrary: fc.constantFrom(0, -1, 1, 2 ** 53, -(2 ** 31), 1e308, 0.5, Number.MAX_SAFE_INTEGER + 2),
        weight: 1,
      },
      { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
      { arbitrary: fc.boolean(), weight: 1 },
      { arbitrary: fc.constant(null), weight: 1 },
    )
    .map((value) => ({ kind: 'scalar', value }));

/** Any JSON value whose object keys are drawn from `keys` (the procedures' fields, pollution keys, noise). */
export function jsonTreeArbitrary(keys: readonly string[], known: readonly string[]): fc.Arbitrary<JsonTree> {
  const key = fc.oneof(
    { arbitrary: fc.constantFrom(...keys), weight: 6 },
    { arbitrary: fc.constantFrom(...POLLUTION_KEYS), weight: 2 },
    { arbitrary: stringArbitrary(), weight: 1 },
  );
  const { tree } = fc.letrec<{ tree: JsonTree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { arbitrary: scalarArbitrary(known), weight: 3 },
      {
        arbitrary: fc
          .array(tie('tree'), { maxLength: 4 })
          .map((items): JsonTree => ({ kind: 'array', items })),
        weight: 1,
      },
      {
        arbitrary: fc
          .array(fc.tuple(key, tie('tree')), { maxLength: 5 })
          .map((entries): JsonTree => ({ kind: 'object', entries })),
        weight: 2,
      },
    ),
  }));
  return tree;
}

/** A plain JSON-able value as a tree. */
export function treeOf(value: unknown): JsonTree {
  if (Array.isArray(value)) return { kind: 'array', items: value.map(treeOf) };
  if (value !== null && typeof value === 'object') {
    return { kind: 'object', entries: Object.entries(value).map(([key, item]) => [key, treeOf(item)]) };
  }
  return { kind: 'scalar', value: value as string | number | boolean | null };
}

/** Values a field accepts, so a generated object is often valid and reaches the procedure's body. */
export type ValidValues = Readonly<Record<string, readonly unknown[]>>;

/** An object with the procedure's own field names: the shape a schema expects, often valid values. */
export function nearValidObjectArbitrary(
  fields: readonly string[],
  keys: readonly string[],
  known: readonly string[],
  valid: ValidValues = {},
): fc.Arbitrary<JsonTree> {
  const hostile = fc.oneof(
    { arbitrary: scalarArbitrary(known), weight: 5 },
    { arbitrary: jsonTreeArbitrary(keys, known), weight: 1 },
  );
  const entry = (name: string): fc.Arbitrary<[string, JsonTree]> => {
    const good = valid[name];
    const value =
      good && good.length > 0
        ? fc.oneof(
            { arbitrary: fc.constantFrom(...good).map(treeOf), weight: 3 },
            { arbitrary: hostile, weight: 2 },
          )
        : hostile;
    return value.map((tree) => [name, tree]);
  };
  const names = fields.length > 0 ? fields : keys;
  return fc
    .tuple(
      fc
        .tuple(
          fc.oneof(fc.constant([...names]), fc.subarray([...names])),
          fc.array(fc.constantFrom(...keys), { maxLength: 1 }),
        )
        .chain(([chosen, extra]) => fc.tuple(...[...chosen, ...extra].map(entry))),
      // A pollution key in about one object of five.
      fc.oneof(
        { arbitrary: fc.constant(null), weight: 4 },
        { arbitrary: fc.tuple(fc.constantFrom(...POLLUTION_KEYS), hostile), weight: 1 },
      ),
    )
    .map(([entries, pollution]): JsonTree => ({
      kind: 'object',
      entries: pollution ? [pollution, ...entries] : entries,
    }));
}

/** JSON text of a tree, keys written as they are (JSON.stringify would drop a `__proto__` key). */
export function toJson(tree: JsonTree): string {
  switch (tree.kind) {
    case 'scalar':
      // Lone surrogates are written as \ud800 escapes, which JSON.parse turns back into lone surrogates.
      return JSON.stringify(tree.value);
    case 'array':
      return `[${tree.items.map(toJson).join(',')}]`;
    case 'object':
      return `{${tree.entries.map(([key, value]) => `${JSON.stringify(key)}:${toJson(value)}`).join(',')}}`;
  }
}

// Byte sequences that are not UTF-8: overlong encodings of '/' and NUL, UTF-8-encoded surrogates,
// bytes that never occur, a truncated sequence, a code point past U+10FFFF.
const INVALID_UTF8 = [
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xf0, 0x80, 0x80, 0xaf],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xff],
  [0xfe, 0xff],
  [0x80],
  [0xe2, 0x82],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
].map((bytes) => Buffer.from(bytes));

export const invalidUtf8Arbitrary = fc.constantFrom(...INVALID_UTF8);

/** A request body: what it is, as bytes. */
export interface Payload {
  label: string;
  bytes: Buffer;
}

export function payloadArbitrary(
  fields: readonly string[],
  keys: readonly string[],
  known: readonly string[],
  valid: ValidValues = {},
): fc.Arbitrary<Payload | null> {
  const json = (label: string, tree: fc.Arbitrary<JsonTree>) =>
    tree.map((value): Payload => ({ label, bytes: Buffer.from(toJson(value)) }));
  return fc.oneof(
    { arbitrary: json('near-valid', nearValidObjectArbitrary(fields, keys, known, valid)), weight: 8 },
    { arbitrary: json('any-json', jsonTreeArbitrary(keys, known)), weight: 3 },
    { arbitrary: fc.constant(null), weight: 1 },
    {
      // Deeply nested arrays or objects, some past the 100 kB body limit.
      arbitrary: fc
        .tuple(fc.integer({ min: 50, max: 60_000 }), fc.boolean())
        .map(([depth, isArray]): Payload => {
          const text = isArray
            ? `${'['.repeat(depth)}${']'.repeat(depth)}`
            : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
          return { label: `nested-${isArray ? 'array' : 'object'}-${depth}`, bytes: Buffer.from(text) };
        }),
      weight: 1,
    },
    {
      // Huge: a long string in a known field, or a long array; around and past the body limit.
      arbitrary: fc
        .tuple(
          fc.constantFrom(...(fields.length > 0 ? fields : keys)),
          fc.integer({ min: 1_000, max: 250_000 }),
          fc.constantFrom('string', 'array', 'keys'),
        )
        .map(([field, size, shape]): Payload => {
          const text =
            shape === 'string'
              ? `{"${field}":"${'x'.repeat(size)}"}`
              : shape === 'array'
                ? `{"${field}":[${'1,'.repeat(size / 2)}1]}`
                : `{${Array.from({ length: Math.floor(size / 10) }, (_, i) => `"k${i}":${i}`).join(',')}}`;
          return { label: `huge-${shape}-${size}`, bytes: Buffer.from(text) };
        }),
      weight: 1,
    },
    {
      // Not JSON: truncated, single quotes, trailing commas, garbage, a BOM, NUL bytes, empty.
      arbitrary: fc
        .oneof(
          nearValidObjectArbitrary(fields, keys, known, valid).map((tree) => toJson(tree).slice(0, -1)),
          fc.constantFrom(
            "{'userId':'x'}",
            '{"a":1,}',
            '{"a":NaN}',
            '{"a":Infinity}',
            '{"a":1}garbage',
            '\ufeff{"a":1}',
            '{"a":"\u0000"}',
            '\u0000',
            '',
            ' ',
            'null',
            '"just a string"',
            '12345',
            '{"a":"\\ud800"}',
            '{"a":"\\uZZZZ"}',
            '{"__proto__":{"__proto__":{"polluted":true}}}',
            '{"constructor":{"prototype":{"polluted":true}}}',
          ),
          fc.string({ unit: 'binary', maxLength: 200 }),
        )
        .map((text): Payload => ({ label: 'bad-json', bytes: Buffer.from(text) })),
      weight: 2,
    },
    {
      // Raw bytes that are not UTF-8 inside a JSON string value of a known field.
      arbitrary: fc
        .tuple(fc.constantFrom(...(fields.length > 0 ? fields : keys)), invalidUtf8Arbitrary, fc.boolean())
        .map(([field, bad, isKey]): Payload => ({
          label: 'invalid-utf8',
          bytes: isKey
            ? Buffer.concat([Buffer.from('{"'), bad, Buffer.from(`":1,"${field}":"ok"}`)])
            : Buffer.concat([Buffer.from(`{"${field}":"a`), bad, Buffer.from('b"}')]),
        })),
      weight: 2,
    },
  );
}
