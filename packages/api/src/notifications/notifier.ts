import {
  billingRecipients,
  enqueueEmails,
  insertNotifications,
  userRecipient,
  type Database,
  type NewNotification,
  type NewOutboxEmail,
  type NotificationPreferences,
  type NotificationRecipient,
} from '@tollgate/db';
import { emailCategory, type Email, type EmailKind } from '@tollgate/mail';

/** Who hears about an event. */
export type Audience =
  /** The billing account's owners and admins (billing news). */
  | { to: 'billing-admins'; accountId: string }
  /** One user (their own account matters: verification, password reset). */
  | { to: 'user'; userId: string }
  /** An address that may not have a user yet (a team invitation): email only. */
  | { to: 'address'; address: string };

/** An email's facts as stored: the Email minus nothing, with dates as ISO strings (JSON). */
export type StoredEmail = Record<string, unknown> & { kind: EmailKind };

export interface NotificationEvent {
  email: Email;
  /** The billing account it is about (null: about the user alone). */
  accountId: string | null;
  /**
   * What makes the event unique within its kind and account: a Stripe invoice id, a period start, a
   * token id. The same key twice is the same event, sent once.
   */
  key: string;
  audience: Audience;
}

/** Emails only: a link with a secret is never shown in the bell (it would outlive its use). */
const EMAIL_ONLY: ReadonlySet<EmailKind> = new Set(['verify_email', 'password_reset', 'team_invitation']);

/** Kinds whose data holds a secret link: erased from the outbox once sent. */
export const SECRET_LINK_KINDS: ReadonlySet<string> = EMAIL_ONLY;

/**
 * Records an event's notifications inside the caller's transaction: one in-app row per recipient and
 * one outbox email per recipient, each under a unique key, so the event is delivered once however
 * often the transaction's cause is replayed, and never without the change that caused it (rolled back
 * together). The outbox worker sends after commit. Recipients' switches apply to usage alerts and
 * reminders; transactional messages always go.
 */
export async function notify(tx: Database, event: NotificationEvent, now: Date): Promise<void> {
  const recipients = await recipientsOf(tx, event.audience);
  const category = emailCategory(event.email.kind);
  const data = toStored(event.email);
  const eventKey = `${event.email.kind}:${event.accountId ?? '-'}:${event.key}`;
  const inApp: NewNotification[] = [];
  const emails: NewOutboxEmail[] = [];
  for (const recipient of recipients) {
    const wants = channelsFor(category, recipient.preferences);
    if (wants.inApp && recipient.userId && !EMAIL_ONLY.has(event.email.kind)) {
      inApp.push({
        userId: recipient.userId,
        accountId: event.accountId,
        kind: event.email.kind,
        dedupeKey: eventKey,
        data,
        createdAt: now,
      });
    }
    if (wants.email && recipient.email) {
      emails.push({
        dedupeKey: `${eventKey}:${recipient.userId ?? recipient.email}`,
        accountId: event.accountId,
        userId: recipient.userId,
        toAddress: recipient.email,
        kind: event.email.kind,
        data,
        nextAttemptAt: now,
      });
    }
  }
  await insertNotifications(tx, inApp);
  await enqueueEmails(tx, emails);
}

type Recipient = Omit<NotificationRecipient, 'userId'> & { userId: string | null };

async function recipientsOf(tx: Database, audience: Audience): Promise<Recipient[]> {
  if (audience.to === 'billing-admins') return billingRecipients(tx, audience.accountId);
  if (audience.to === 'user') {
    const recipient = await userRecipient(tx, audience.userId);
    return recipient ? [recipient] : [];
  }
  return [{ userId: null, email: audience.address, preferences: ALL_ON }];
}

const ALL_ON: NotificationPreferences = {
  usageAlertsEmail: true,
  usageAlertsInApp: true,
  remindersEmail: true,
  remindersInApp: true,
};

function channelsFor(
  category: ReturnType<typeof emailCategory>,
  preferences: NotificationPreferences,
): { email: boolean; inApp: boolean } {
  if (category === 'usage_alerts')
    return { email: preferences.usageAlertsEmail, inApp: preferences.usageAlertsInApp };
  if (category === 'reminders')
    return { email: preferences.remindersEmail, inApp: preferences.remindersInApp };
  return { email: true, inApp: true };
}

/** Dates become ISO strings; everything else in an Email is already JSON. */
function toStored(email: Email): StoredEmail {
  return JSON.parse(JSON.stringify(email)) as StoredEmail;
}

/** The Email back from its stored facts: the date fields every template reads become Dates again. */
export function fromStored(data: Record<string, unknown>): Email {
  const revived: Record<string, unknown> = { ...data };
  for (const field of DATE_FIELDS) {
    const value = revived[field];
    if (typeof value === 'string') revived[field] = new Date(value);
  }
  return revived as unknown as Email;
}

const DATE_FIELDS = [
  'expiresAt',
  'trialEndsAt',
  'graceEndsAt',
  'endsAt',
  'periodEndsAt',
  'retryAfter',
] as const;
