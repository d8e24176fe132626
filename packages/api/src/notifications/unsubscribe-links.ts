import { createHmac, timingSafeEqual } from 'node:crypto';
import { emailCategory, type EmailCategory, type EmailKind } from '@tollgate/mail';

/** The categories a user may switch off by email: every one but transactional mail. */
export type OptionalCategory = Exclude<EmailCategory, 'transactional'>;
const OPTIONAL_CATEGORIES: readonly OptionalCategory[] = ['usage_alerts', 'reminders'];

export const UNSUBSCRIBE_PATH = '/api/v1/notifications/unsubscribe';

/**
 * One-click unsubscribe links (RFC 8058) for the mail a user may switch off: usage alerts and
 * reminders. A link names its user and category and is signed with the server's HS256 secret (its own
 * purpose prefix, so it is never a valid token of any other kind). It doesn't expire: mail clients
 * show it as long as the message is kept, and all it can do is switch that one category's email off,
 * which the user can switch on again in the settings. Null without a secret (a host platform verifying
 * with its JWKS only): such mail then carries no List-Unsubscribe header.
 */
export function createUnsubscribeLinks(config: { appUrl: string; jwt: { secret: string | null } }) {
  const { secret } = config.jwt;
  if (!secret) return null;
  const signatureOf = (userId: string, category: OptionalCategory) =>
    createHmac('sha256', secret).update(`tollgate-unsubscribe-v1:${userId}:${category}`).digest();

  function tokenFor(userId: string, category: OptionalCategory): string {
    const user = Buffer.from(userId).toString('base64url');
    return `${user}.${category}.${signatureOf(userId, category).toString('base64url')}`;
  }

  return {
    /** The link for this email, or null when it is mail a user can't switch off (or has no user). */
    urlFor(kind: string, userId: string | null): string | null {
      const category = emailCategory(kind as EmailKind) as EmailCategory | undefined;
      if (!userId || !category || !isOptional(category)) return null;
      const url = new URL(UNSUBSCRIBE_PATH, config.appUrl);
      url.searchParams.set('token', tokenFor(userId, category));
      return url.toString();
    },
    /** The user and category a token names, if it is one of ours. */
    verify(token: string): { userId: string; category: OptionalCategory } | null {
      const [user, category, signature, ...rest] = token.split('.');
      if (!user || !category || !signature || rest.length > 0 || !isOptional(category)) return null;
      const userId = Buffer.from(user, 'base64url').toString();
      const expected = signatureOf(userId, category);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return { userId, category };
    },
  };
}

function isOptional(category: string): category is OptionalCategory {
  return (OPTIONAL_CATEGORIES as readonly string[]).includes(category);
}

export type UnsubscribeLinks = NonNullable<ReturnType<typeof createUnsubscribeLinks>>;
