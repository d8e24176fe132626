import { errorAnswer, WebhookSignatureError, type Logger, type StripeBilling } from '@tollgate/api';
import express, { Router } from 'express';
import { sendErrorAnswer } from '../http/error-handler';
import { sendJson } from '../http/send-json';

/**
 * POST /api/v1/billing/webhook. Mounted before any JSON parser: the signature covers the raw bytes.
 * - Bad or missing signature, or a stale timestamp → 400 and nothing stored.
 * - Applied, ignored, or a duplicate → 200.
 * - A permanent failure (object missing at Stripe, a malformed or unknown shape with a valid signature,
 *   no account owns it) → 200 with `status: 'failed'`: recorded with the reason for operators
 *   (admin.failedWebhooks, admin.replayWebhook), so Stripe stops retrying what can never succeed.
 * - A retryable failure (network, timeout, Stripe 5xx/429, the database) → 500 so Stripe retries
 *   (the event row rolled back with the effect). Stripe is the only client here and reads nothing but
 *   the status, so these answers are decided here, not by errorAnswerOf (a lost database stays a 500).
 */
/**
 * nginx's client_max_body_size for this route (nginx/templates/tollgate.conf.template): a body the
 * edge lets through must not be refused here, or Stripe would retry an event that can never pass.
 */
export const WEBHOOK_BODY_LIMIT = '2mb';

export function billingWebhookRoutes(billing: StripeBilling | null, logger: Logger): Router {
  const router = Router();
  const readRawBody = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT });
  router.post('/billing/webhook', readRawBody, async (req, res) => {
    if (!billing) {
      sendErrorAnswer(res, errorAnswer(404, 'NOT_FOUND', 'Stripe billing is not configured'));
      return;
    }
    const rawBody: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const outcome = await billing.handleWebhook(rawBody, req.get('stripe-signature'));
      // Without express's ETag (a SHA-1 of every answer): Stripe reads only the status.
      sendJson(res, 200, { received: true, ...outcome });
    } catch (error) {
      if (error instanceof WebhookSignatureError) {
        sendErrorAnswer(res, errorAnswer(400, 'BAD_SIGNATURE', error.message));
        return;
      }
      logger.error('stripe webhook failed (retryable); Stripe will retry', {
        requestId: res.locals.requestId,
        error: String(error),
      });
      sendErrorAnswer(res, errorAnswer(500, 'INTERNAL', 'Webhook processing failed'));
    }
  });
  return router;
}
