import { paymentRequiredBodySchema } from '@tollgate/domain';
import { z } from 'zod';

/** Every error answer except 402: `{ error: { code, message, fieldErrors? } }`. */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.string().describe('Machine-readable: BAD_REQUEST, UNAUTHORIZED, NOT_FOUND, TRIAL_NOT_ALLOWED, …'),
    message: z.string().describe('Human-readable and safe to show'),
    fieldErrors: z
      .record(z.string(), z.array(z.string()))
      .optional()
      .describe('Invalid input only: messages per field'),
  }),
});

/** The 402 body: the run was denied; the client shows an upgrade prompt from these fields. */
export { paymentRequiredBodySchema };
