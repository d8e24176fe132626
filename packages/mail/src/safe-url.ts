/**
 * Returns the URL unchanged if it is an absolute http(s) URL and throws otherwise. Links in mail
 * are built upstream from config and tokens; anything else (a `javascript:` or relative URL) is a
 * bug there, and failing loudly beats mailing it to a customer.
 */
export function assertHttpUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Email link is not an absolute URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`Email link must be http(s), got ${JSON.stringify(parsed.protocol)}`);
  }
  return url;
}

/** Joins the app's base URL and a path without doubling or dropping the slash. */
export function appLink(appUrl: string, path: string): string {
  return assertHttpUrl(`${appUrl.replace(/\/+$/, '')}${path}`);
}
