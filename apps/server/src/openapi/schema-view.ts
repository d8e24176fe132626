import type { JsonSchema } from './json-schema';

/** One row of a field table: `usage.used`, `integer`, required, "…". */
export interface FieldRow {
  name: string;
  type: TypeLabel;
  isRequired: boolean;
  isDeprecated: boolean;
  description: string;
  constraints: string[];
}

/** A type as text, plus the component it names (rendered as a link). */
export interface TypeLabel {
  text: string;
  refName: string | null;
}

const REF_PREFIX = '#/components/schemas/';

export function refName(schema: JsonSchema): string | null {
  return typeof schema.$ref === 'string' && schema.$ref.startsWith(REF_PREFIX)
    ? schema.$ref.slice(REF_PREFIX.length)
    : null;
}

/** "string (date-time) | null", "array of Plan", "\"BASIC\" | \"PRO\"". */
export function typeLabel(schema: JsonSchema): TypeLabel {
  const name = refName(schema);
  if (name) return { text: name, refName: name };
  if (Array.isArray(schema.anyOf)) {
    const labels = (schema.anyOf as JsonSchema[]).map(typeLabel);
    return {
      text: labels.map((label) => label.text).join(' | '),
      refName: labels.find((label) => label.refName)?.refName ?? null,
    };
  }
  if (schema.const !== undefined) return { text: JSON.stringify(schema.const), refName: null };
  if (Array.isArray(schema.enum)) {
    return { text: schema.enum.map((value) => JSON.stringify(value)).join(' | '), refName: null };
  }
  if (schema.type === 'array') {
    const item = typeLabel((schema.items ?? {}) as JsonSchema);
    return { text: `array of ${item.text}`, refName: item.refName };
  }
  // zod writes a nullable primitive as `type: ["string", "null"]`.
  if (Array.isArray(schema.type)) {
    return { text: (schema.type as string[]).join(' | '), refName: null };
  }
  if (typeof schema.type === 'string') {
    const format = typeof schema.format === 'string' ? ` (${schema.format})` : '';
    return { text: `${schema.type}${format}`, refName: null };
  }
  return { text: 'any', refName: null };
}

function constraintsOf(schema: JsonSchema): string[] {
  const constraints: string[] = [];
  if (typeof schema.minLength === 'number') constraints.push(`min length ${schema.minLength}`);
  if (typeof schema.maxLength === 'number') constraints.push(`max length ${schema.maxLength}`);
  if (typeof schema.minimum === 'number') constraints.push(`≥ ${schema.minimum}`);
  if (typeof schema.maximum === 'number') constraints.push(`≤ ${schema.maximum}`);
  if (typeof schema.pattern === 'string') constraints.push(`pattern ${schema.pattern}`);
  if (schema.default !== undefined) constraints.push(`default ${JSON.stringify(schema.default)}`);
  return constraints;
}

function nestedObject(schema: JsonSchema): JsonSchema | null {
  if (schema.type === 'object' && schema.properties) return schema;
  const options = Array.isArray(schema.anyOf) ? (schema.anyOf as JsonSchema[]) : [];
  return options.find((option) => option.type === 'object' && option.properties) ?? null;
}

/** The fields of an object schema, nested objects flattened into dotted names. */
export function fieldRows(schema: JsonSchema, prefix = ''): FieldRow[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.required ?? []) as string[];
  return Object.entries(properties).flatMap(([key, property]) => {
    const name = `${prefix}${key}`;
    const nested = nestedObject(property);
    const row: FieldRow = {
      name,
      type: nested
        ? { text: property.anyOf ? 'object | null' : 'object', refName: null }
        : typeLabel(property),
      isRequired: required.includes(key),
      isDeprecated: property.deprecated === true,
      description: typeof property.description === 'string' ? property.description : '',
      constraints: constraintsOf(property),
    };
    return nested ? [row, ...fieldRows(nested, `${name}.`)] : [row];
  });
}
