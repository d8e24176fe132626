import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Stripe ids are a type prefix plus a base62 tail; the lengths below mirror real ones
// (cus_ 14 chars, sub_ 24, cs_test_ 58, …) so length-sensitive code behaves the same.
const TAIL_LENGTH: Record<string, number> = {
  cus: 14,
  si: 14,
  prod: 14,
  req: 14,
  cs_test: 58,
  bpc: 24,
  mtr_test: 32,
  mtrusg_test: 48,
};

export function randomBase62(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(TAIL_LENGTH[prefix] ?? 24)}`;
}

/** A PaymentIntent's client_secret: its id, "_secret_" and a random tail, like Stripe's. */
export function newClientSecret(id: string): string {
  return `${id}_secret_${randomBase62(25)}`;
}

/** whsec_ secrets are 32 random bytes, hex encoded like the Stripe CLI's. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

/** Per-customer invoice number prefix, e.g. "A1B2C3D4". */
export function newInvoicePrefix(): string {
  return randomBytes(4).toString('hex').toUpperCase();
}
