import { z } from 'zod';

/**
 * A point in time on the wire. Services hand out `Date`s; tRPC validates `.output()` before JSON
 * serialization and sends what the schema returns, so this codec turns a Date into the ISO string
 * clients receive (there is no transformer: they got `Date.toJSON()` before too). It also reads that
 * ISO string, so the same schema checks a REST body after JSON. Its JSON Schema is the output side:
 * `string`, `format: date-time`.
 */
export const isoDateTime = z.codec(z.union([z.date(), z.iso.datetime()]), z.iso.datetime(), {
  decode: (value) => (typeof value === 'string' ? value : value.toISOString()),
  encode: (text) => text,
});
