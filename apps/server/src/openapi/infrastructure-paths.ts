import type { OpenApiDocument, OpenApiOperation } from './openapi-types';

const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });
const ERROR_BODY = { $ref: '#/components/schemas/ErrorBody' };

function healthOperation(operationId: string, summary: string, okStatus: string): OpenApiOperation {
  return {
    operationId,
    tags: ['health'],
    summary,
    security: [],
    responses: {
      '200': {
        description: 'Healthy',
        content: json({ type: 'object', properties: { status: { type: 'string', const: okStatus } } }),
      },
      '503': {
        description: 'Not healthy (database unreachable, or shutting down)',
        content: json({ type: 'object', properties: { status: { type: 'string' } } }),
      },
    },
  };
}

/** Routes that no tRPC procedure serves: health checks and Stripe's webhook. */
export const infrastructurePaths: OpenApiDocument['paths'] = {
  '/health': {
    get: healthOperation('health', 'The process and its database answer', 'ok'),
  },
  '/health/live': {
    get: healthOperation('liveness', 'Liveness: the process answers (never checks dependencies)', 'ok'),
  },
  '/health/ready': {
    get: healthOperation(
      'readiness',
      'Readiness: the database answers and no shutdown is under way',
      'ready',
    ),
  },
  '/billing/webhook': {
    post: {
      operationId: 'stripeWebhook',
      tags: ['stripe'],
      summary: 'Stripe webhook endpoint (for Stripe only)',
      description:
        'Verifies the Stripe-Signature over the raw body. Each event is applied once; 2xx only after ' +
        'commit, 5xx so that Stripe retries. A signed event that can never be applied as delivered ' +
        '(object missing at Stripe, malformed shape, no account owns it) is recorded with the reason ' +
        'and answered 200 (status failed) for operators to replay.',
      security: [],
      parameters: [
        {
          name: 'Stripe-Signature',
          in: 'header',
          required: true,
          description: 'Signature Stripe computes with the endpoint’s signing secret',
          schema: { type: 'string' },
        },
      ],
      requestBody: {
        required: true,
        content: json({ type: 'object', description: 'A Stripe event object' }),
      },
      responses: {
        '200': {
          description:
            'Stored and applied (or a duplicate, an event type Tollgate ignores, or a permanent failure ' +
            'recorded for operators)',
          content: json({
            type: 'object',
            properties: { received: { type: 'boolean', const: true } },
            required: ['received'],
          }),
        },
        '400': { description: 'Missing or bad signature, or a stale timestamp', content: json(ERROR_BODY) },
        '404': { description: 'Stripe billing is not configured on this server', content: json(ERROR_BODY) },
        '500': {
          description:
            'Applying failed for a reason that may pass (network, Stripe, database): Stripe retries',
          content: json(ERROR_BODY),
        },
      },
    },
  },
};
