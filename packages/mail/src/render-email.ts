import { emailCategory } from './email-category.js';
import type { Email, EmailContext, EmailKind, EmailOf, RenderedEmail } from './email-types.js';
import type { EmailContent, TemplateContext } from './templates/email-content.js';
import { autoTopUpDeclinedContent } from './templates/auto-top-up-declined.js';
import { dunningReminderContent } from './templates/dunning-reminder.js';
import { graceEndedContent } from './templates/grace-ended.js';
import type { LayoutOptions } from './templates/layout.js';
import { layoutMjml, renderLayout } from './templates/layout.js';
import { passwordResetContent } from './templates/password-reset.js';
import { paymentFailedContent } from './templates/payment-failed.js';
import { paymentRecoveredContent } from './templates/payment-recovered.js';
import { paymentSucceededContent } from './templates/payment-succeeded.js';
import { planChangedContent } from './templates/plan-changed.js';
import { subscriptionCanceledContent } from './templates/subscription-canceled.js';
import { subscriptionWillCancelContent } from './templates/subscription-will-cancel.js';
import { teamInvitationContent } from './templates/team-invitation.js';
import { trialEndingContent } from './templates/trial-ending.js';
import { trialStartedContent } from './templates/trial-started.js';
import { usageAlertContent } from './templates/usage-alert.js';
import { verifyEmailContent } from './templates/verify-email.js';

type TemplateTable = { [K in EmailKind]: (email: EmailOf<K>, context: TemplateContext) => EmailContent };

// A mapped Record so a new Email kind without a template fails typecheck.
const TEMPLATES: TemplateTable = {
  verify_email: verifyEmailContent,
  password_reset: passwordResetContent,
  team_invitation: teamInvitationContent,
  trial_started: trialStartedContent,
  trial_ending: trialEndingContent,
  payment_succeeded: paymentSucceededContent,
  payment_failed: paymentFailedContent,
  dunning_reminder: dunningReminderContent,
  grace_ended: graceEndedContent,
  payment_recovered: paymentRecoveredContent,
  subscription_canceled: subscriptionCanceledContent,
  subscription_will_cancel: subscriptionWillCancelContent,
  plan_changed: planChangedContent,
  auto_top_up_declined: autoTopUpDeclinedContent,
  usage_alert: usageAlertContent,
};

export function renderEmail(email: Email, context: EmailContext): RenderedEmail {
  const templateContext = toTemplateContext(context);
  const content = contentFor(email, templateContext);
  const { html, text } = renderLayout(content, templateContext, layoutOptions(email));
  // Subjects carry user input (account names); a header must stay on one line.
  return { subject: content.subject.replace(/\s+/g, ' ').trim(), html, text };
}

/** The MJML source for an email; for tests that validate markup, not for sending. */
export function renderEmailMjml(email: Email, context: EmailContext): string {
  const templateContext = toTemplateContext(context);
  return layoutMjml(contentFor(email, templateContext), templateContext, layoutOptions(email));
}

function toTemplateContext(context: EmailContext): TemplateContext {
  return { appUrl: context.appUrl, productName: context.productName ?? 'Tollgate' };
}

function layoutOptions(email: Email): LayoutOptions {
  return { hasPreferencesLink: emailCategory(email.kind) !== 'transactional' };
}

function contentFor<K extends EmailKind>(email: EmailOf<K>, context: TemplateContext): EmailContent {
  const template = TEMPLATES[email.kind] as (email: EmailOf<K>, context: TemplateContext) => EmailContent;
  return template(email, context);
}
