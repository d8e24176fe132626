export type {
  Email,
  EmailContext,
  EmailKind,
  EmailOf,
  MemberRole,
  RenderedEmail,
  UsageThreshold,
} from './email-types.js';
export type { EmailCategory } from './email-category.js';
export { emailCategory, isTransactional } from './email-category.js';
export { renderEmail } from './render-email.js';
export { formatDate, formatMoney } from './format.js';
export { escapeHtml } from './escape-html.js';
export { assertHttpUrl } from './safe-url.js';
export type { Mailer, MailerOptions, OutgoingMessage, SendResult } from './mailer.js';
export { createMailer } from './mailer.js';
export { isPermanentSmtpError } from './smtp-error.js';
export type { DevInbox, DevInboxOptions, InboxMessage, WaitForOptions } from './dev-inbox.js';
export { startDevInbox } from './dev-inbox.js';
export type { InboxPageOptions } from './dev-inbox-page.js';
export { renderInboxPage, renderMessagePage } from './dev-inbox-page.js';
