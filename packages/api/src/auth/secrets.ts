import { createHash, randomBytes } from 'node:crypto';

/** 256 bits of randomness, URL-safe: refresh tokens and API key bodies. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 is right for high-entropy random secrets (refresh tokens, API keys): they can't be guessed,
 * and lookups by hash must be fast. Passwords, which are low-entropy, use argon2id instead.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
