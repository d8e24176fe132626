const DEFAULT_PATH = '/sessions';

/**
 * A path inside this app: starts with one "/" (not "//" or "/\\", which browsers read as another host)
 * and holds no control characters (a tab or newline inside "/\t/evil.example" is dropped by URL parsers).
 */
export function isInAppPath(value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith('/')) return false;
  if (value.startsWith('//') || value.startsWith('/\\')) return false;
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u001f\u007f]/.test(value);
}

/** Only in-app paths: `?redirect=https://evil.example` or `//evil.example` fall back to the default. */
export function safeRedirect(value: unknown): string {
  const candidate = Array.isArray(value) ? value[0] : value;
  return isInAppPath(candidate) ? candidate : DEFAULT_PATH;
}
