import express from 'express';
import type { Express, RequestHandler } from 'express';
import { invalidRequest, missingParam } from './errors';

/**
 * Stripe sends form-encoded bodies with nested brackets (line_items[0][price]=…, metadata[userId]=…,
 * expand[0]=…); qs-style parsing turns them into nested objects/arrays. GET/DELETE carry the same
 * syntax in the query string, so the query parser is switched to qs ("extended") too.
 */
export function installFormParsing(app: Express): void {
  app.set('query parser', 'extended');
}

export const formBody: RequestHandler = express.urlencoded({
  extended: true,
  limit: '1mb',
  parameterLimit: 5000,
});
export const jsonBody: RequestHandler = express.json({ limit: '1mb' });

export type Params = Record<string, unknown>;

export function asParams(value: unknown): Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Params) : {};
}

export function optionalString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${name}`, name);
  return value;
}

export function requireString(params: Params, name: string): string {
  const value = optionalString(params, name);
  if (value === undefined || value === '') throw missingParam(name);
  return value;
}

/** Stripe booleans arrive as "true"/"false". */
export function optionalBoolean(params: Params, name: string): boolean | undefined {
  const value = optionalString(params, name);
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalidRequest(`Invalid boolean: ${value}`, name);
}

export function optionalInteger(params: Params, name: string): number | undefined {
  const value = optionalString(params, name);
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw invalidRequest(`Invalid integer: ${value}`, name);
  return Number(value);
}

/**
 * qs turns a[0]=x into an array, but indices above its arrayLimit (or sparse ones) into an object
 * keyed by index; accept both, plus a single bare value.
 */
export function arrayParam(params: Params, name: string): unknown[] {
  const value = params[name];
  if (value === undefined || value === '') return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null) {
    return Object.keys(value)
      .sort((a, b) => Number(a) - Number(b))
      .map((key) => (value as Params)[key]);
  }
  return [value];
}

export function stringArrayParam(params: Params, name: string): string[] {
  return arrayParam(params, name).map((item, index) => {
    if (typeof item !== 'string')
      throw invalidRequest(`Invalid string: ${name}[${index}]`, `${name}[${index}]`);
    return item;
  });
}

export function expandParam(params: Params): string[] {
  return stringArrayParam(params, 'expand');
}

/**
 * metadata[key]=value pairs. Returns the updates to apply: a null value means "unset this key"
 * (Stripe unsets keys sent with an empty value; metadata="" clears everything).
 */
export function metadataParam(
  params: Params,
  name = 'metadata',
): Record<string, string | null> | 'clear' | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (value === '') return 'clear';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest(`Invalid object: ${name}`, name);
  }
  const updates: Record<string, string | null> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (typeof raw !== 'string') throw invalidRequest(`Invalid string: ${name}[${key}]`, `${name}[${key}]`);
    updates[key] = raw === '' ? null : raw;
  }
  return updates;
}

export function applyMetadata(
  current: Record<string, string>,
  updates: Record<string, string | null> | 'clear' | undefined,
): Record<string, string> {
  if (updates === undefined) return current;
  if (updates === 'clear') return {};
  const next = { ...current };
  for (const [key, value] of Object.entries(updates)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}
