import { appRouter } from '@tollgate/api';
import { procedureInput } from '../../src/openapi/procedure-input';
import type { ProcedurePath } from '../../src/routes/rest-operation';
import type { Target } from './arbitraries';

/** Every tRPC procedure of the app router, read from the router itself so new ones are fuzzed too. */
export function trpcTargets(): Target[] {
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
  return Object.entries(procedures).map(([name, procedure]) => ({
    kind: 'trpc',
    name,
    method: procedure._def.type === 'query' ? 'GET' : 'POST',
    path: `/api/trpc/${name}`,
  }));
}

interface OpenApiPaths {
  paths: Record<string, Record<string, unknown>>;
}

/** Every operation /api/v1/openapi.json lists (`{id}` becomes a `:id` segment the fuzzer fills). */
export function restTargets(document: OpenApiPaths): Target[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods)
      .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map((method): Target => {
        const template = path.replace(/\{(\w+)\}/g, ':$1');
        return {
          kind: 'rest',
          name: `${method.toUpperCase()} ${template}`,
          method: method.toUpperCase(),
          path: `/api/v1${template}`,
        };
      }),
  );
}

/** Routes outside the operation tables: health, the documents, the webhook, unknown paths. */
export const otherTargets: Target[] = [
  ['GET', '/api/v1/health'],
  ['GET', '/api/v1/health/live'],
  ['GET', '/api/v1/health/ready'],
  ['GET', '/api/v1/openapi.json'],
  ['GET', '/api/v1/docs'],
  ['GET', '/docs'],
  ['POST', '/api/v1/billing/webhook'],
  // Correctly signed: what the fuzzer sends there must be what Stripe could have sent, shapes aside.
  ['POST', '/api/v1/billing/webhook', 'signed'],
  ['POST', '/api/v1/no/such/route'],
  ['GET', '/api/no-such-route'],
  ['POST', '/api/trpc/no.such.procedure'],
  ['GET', '/'],
].map(([method = 'GET', path = '/', variant]) => ({
  kind: 'route',
  name: `${method} ${path}${variant ? ` (${variant})` : ''}`,
  method,
  path,
}));

export const SIGNED_WEBHOOK = 'POST /api/v1/billing/webhook (signed)';

/** The fields of a Stripe event envelope, for the signed webhook target's near-valid bodies. */
export const WEBHOOK_EVENT_FIELDS = ['id', 'object', 'type', 'api_version', 'created', 'data', 'livemode'];

/** Field names each procedure's input schema knows (union inputs fall back to every field). */
export function fieldsByProcedure(names: readonly string[]): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const name of names) {
    try {
      fields.set(name, Object.keys(procedureInput(name as ProcedurePath).fields));
    } catch {
      fields.set(name, []);
    }
  }
  return fields;
}
