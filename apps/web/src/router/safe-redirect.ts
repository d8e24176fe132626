const DEFAULT_PATH = '/sessions';

/** Only in-app paths: `?redirect=https://evil.example` or `//evil.example` fall back to the default. */
export function safeRedirect(value: unknown): string {
  const candidate = Array.isArray(value) ? value[0] : value;
  if (typeof candidate !== 'string') return DEFAULT_PATH;
  if (!candidate.startsWith('/') || candidate.startsWith('//') || candidate.startsWith('/\\'))
    return DEFAULT_PATH;
  return candidate;
}
