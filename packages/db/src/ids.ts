const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Tenant resource ids are uuid columns: comparing one with a malformed string makes PostgreSQL raise
 * an error instead of matching nothing. Repositories check first so a junk id is simply "not found".
 */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
