import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };

/** A zod schema as an OpenAPI 3.1 schema object (JSON Schema 2020-12), without generator noise. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return cleanSchema(z.toJSONSchema(schema, { io, unrepresentable: 'any' }));
}

/** Registered schemas become components that reference each other by `#/components/schemas/<id>`. */
export function toComponentSchemas(
  entries: readonly (readonly [string, z.core.$ZodType])[],
): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of entries) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, cleanSchema(schema)]));
}

const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/**
 * Drops what only repeats or clutters: `$schema`/`$id` (the document sets the dialect), zod's
 * ±MAX_SAFE_INTEGER bounds on every integer, and the regex zod adds next to a `format` it already names.
 */
export function cleanSchema<T>(node: T): T {
  if (Array.isArray(node)) return node.map((item) => cleanSchema(item)) as T;
  if (typeof node !== 'object' || node === null) return node;
  const result: JsonSchema = {};
  const source = node as JsonSchema;
  for (const [key, value] of Object.entries(source)) {
    if (key === '$schema' || key === '$id') continue;
    if ((key === 'minimum' || key === 'maximum') && SAFE_INTEGER_BOUNDS.has(value as number)) continue;
    if (key === 'pattern' && typeof source.format === 'string') continue;
    result[key] = cleanSchema(value);
  }
  return result as T;
}
