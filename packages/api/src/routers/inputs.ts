import { z } from 'zod';

/** Client-supplied id of one agent run: the idempotency key of authorize. */
export const runIdSchema = z
  .string()
  .min(1, 'runId is required')
  .max(128, 'runId is at most 128 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'runId may contain letters, digits and . _ : - only');

export const uuidSchema = z.uuid('must be a UUID');

export const emailSchema = z.email('must be an email address').max(254);

export const passwordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters');
