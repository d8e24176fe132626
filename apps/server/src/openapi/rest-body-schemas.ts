import { checkoutSessionSchema, portalSessionSchema } from '@tollgate/api';
import { z } from 'zod';

// The REST bodies that add the seed (AI-Manus) API's field names to a procedure's output; every other
// route answers exactly its procedure's `.output()` schema, imported from @tollgate/api.

export const checkoutSessionBodySchema = checkoutSessionSchema.extend({
  checkout_url: z.string().describe('Same as url (the seed API’s field name)'),
});

export const portalSessionBodySchema = portalSessionSchema.extend({
  portal_url: z.string().describe('Same as url (the seed API’s field name)'),
});
