import { hash, verify } from '@node-rs/argon2';

// argon2id with OWASP's minimum recommendation (19 MiB, 2 iterations, 1 lane).
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** Verifying against this when the email is unknown keeps login time the same either way. */
export const DUMMY_PASSWORD_HASH = await hashPassword('tollgate-timing-equaliser');
