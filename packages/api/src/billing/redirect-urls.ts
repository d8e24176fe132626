import { AppError } from '@tollgate/domain';

/**
 * Success, cancel and portal-return URLs must stay on the app's own origin (no open redirect).
 * Relative paths are resolved against APP_URL; anything that lands on another origin, or isn't
 * http(s), is refused with INVALID_REDIRECT_URL (400).
 */
export function sameOriginUrl(candidate: string | undefined, appUrl: string, fallbackPath: string): string {
  const app = new URL(appUrl);
  if (candidate === undefined) return new URL(fallbackPath, app).toString();
  let resolved: URL;
  try {
    resolved = new URL(candidate, app);
  } catch {
    throw new AppError('INVALID_REDIRECT_URL', 'Redirect URL is not a valid URL');
  }
  const isHttp = resolved.protocol === 'http:' || resolved.protocol === 'https:';
  if (!isHttp || resolved.origin !== app.origin || resolved.username || resolved.password) {
    throw new AppError('INVALID_REDIRECT_URL', `Redirect URLs must stay on ${app.origin}`);
  }
  return resolved.toString();
}
