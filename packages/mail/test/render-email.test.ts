import mjml2html from 'mjml';
import { describe, expect, it } from 'vitest';
import { isTransactional } from '../src/email-category.js';
import type { EmailKind } from '../src/email-types.js';
import { escapeHtml } from '../src/escape-html.js';
import { renderEmail, renderEmailMjml } from '../src/render-email.js';
import { APP_URL, HOSTILE_NAME, RENDER_CASES, withAccountName } from './email-fixtures.js';

const context = { appUrl: APP_URL };
const PREFERENCES_URL = `${APP_URL}/settings/notifications`;
const cases = Object.entries(RENDER_CASES) as Array<[EmailKind, (typeof RENDER_CASES)[EmailKind]]>;

describe.each(cases)('renderEmail(%s)', (kind, testCase) => {
  const rendered = renderEmail(testCase.email, context);

  it('has the expected subject', () => {
    expect(rendered.subject).toBe(testCase.subject);
  });

  it('links the button to the primary URL and writes the URL out in both parts', () => {
    const href = `href="${escapeHtml(testCase.primaryUrl)}"`;
    // Once on the button, once on the copy-paste fallback link.
    expect(rendered.html.split(href).length - 1).toBeGreaterThanOrEqual(2);
    expect(rendered.html).toContain(`>${escapeHtml(testCase.primaryUrl)}</a>`);
    expect(rendered.text).toContain(testCase.primaryUrl);
  });

  it('mentions the formatted amounts, dates and counts in both parts', () => {
    for (const mention of testCase.mentions) {
      expect(rendered.html).toContain(escapeHtml(mention));
      expect(rendered.text).toContain(mention);
    }
  });

  it('carries the brand header and footer', () => {
    expect(rendered.html).toContain('>Tollgate</div>');
    expect(rendered.text.startsWith('Tollgate\n')).toBe(true);
    expect(rendered.text).toContain("You're receiving this email because of your Tollgate account.");
  });

  it('links to email preferences only when the email is not transactional', () => {
    const hasFooterLink = !isTransactional(kind);
    expect(rendered.html.includes(`href="${PREFERENCES_URL}"`)).toBe(hasFooterLink);
    expect(rendered.text.includes(`Manage email preferences: ${PREFERENCES_URL}`)).toBe(hasFooterLink);
  });

  it('leaks no undefined, NaN or [object …] into either part', () => {
    for (const part of [rendered.subject, rendered.html, rendered.text]) {
      expect(part).not.toMatch(/undefined|NaN|\[object/);
    }
  });

  it('is valid MJML', () => {
    const { errors } = mjml2html(renderEmailMjml(testCase.email, context), { validationLevel: 'soft' });
    expect(errors).toEqual([]);
  });
});

const casesWithAccountName = cases.filter(([, testCase]) => 'accountName' in testCase.email);

describe.each(casesWithAccountName)('renderEmail(%s) with a hostile account name', (_kind, testCase) => {
  it('escapes it in the HTML and keeps it verbatim in the text part', () => {
    const hostile = renderEmail(withAccountName(testCase.email, HOSTILE_NAME), context);
    expect(hostile.html).not.toContain(HOSTILE_NAME);
    expect(hostile.html).not.toContain('<img');
    expect(hostile.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // The text part is not HTML: the name is shown as typed.
    expect(hostile.text).toContain(HOSTILE_NAME);
  });
});

describe('renderEmail edge cases', () => {
  it('writes a dunning reminder without an amount when the failed invoice was never seen', () => {
    const reminder = RENDER_CASES.dunning_reminder.email;
    if (reminder.kind !== 'dunning_reminder') throw new Error('fixture mismatch');
    const rendered = renderEmail({ ...reminder, amountDue: null }, context);
    expect(rendered.text).toContain("couldn't charge the renewal for the Pro plan");
    for (const part of [rendered.html, rendered.text]) {
      expect(part).not.toContain('Amount due');
      expect(part).not.toContain('null');
    }
  });

  it('escapes a <script> account name in the subject-bearing invitation', () => {
    const email = withAccountName(RENDER_CASES.team_invitation.email, '<script>alert(1)</script>');
    const rendered = renderEmail(email, context);
    expect(rendered.html).not.toContain('<script>alert(1)</script>');
    expect(rendered.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(rendered.subject).toBe("You're invited to join <script>alert(1)</script> on Tollgate");
  });

  it('keeps a subject on one line when the account name has line breaks', () => {
    const email = withAccountName(RENDER_CASES.team_invitation.email, 'Acme\r\nBcc: x@evil.test');
    expect(renderEmail(email, context).subject).toBe(
      "You're invited to join Acme Bcc: x@evil.test on Tollgate",
    );
  });

  it('entity-encodes & in hrefs and keeps it raw in the text part', () => {
    const url = `${APP_URL}/verify?token=a&email=b`;
    const rendered = renderEmail({ kind: 'verify_email', verifyUrl: url, expiresInHours: 1 }, context);
    expect(rendered.html).toContain(`href="${APP_URL}/verify?token=a&amp;email=b"`);
    expect(rendered.text).toContain(url);
    expect(rendered.text).toContain('1 hour.');
  });

  it.each(['javascript:alert(1)', 'data:text/html,hi', '/relative/path', 'mailto:a@b.test'])(
    'refuses a non-http(s) link %s',
    (url) => {
      expect(() =>
        renderEmail({ kind: 'password_reset', resetUrl: url, expiresInMinutes: 30 }, context),
      ).toThrow(/Email link/);
    },
  );

  it('refuses a non-http(s) appUrl for links it builds itself', () => {
    const email = RENDER_CASES.payment_recovered.email;
    expect(() => renderEmail(email, { appUrl: 'javascript:alert(1)//' })).toThrow(/Email link/);
  });

  it('joins appUrl with a trailing slash without doubling it', () => {
    const rendered = renderEmail(RENDER_CASES.usage_alert.email, { appUrl: `${APP_URL}/` });
    expect(rendered.html).toContain(`href="${PREFERENCES_URL}"`);
  });

  it('uses a custom product name in header, subject and footer', () => {
    const rendered = renderEmail(RENDER_CASES.password_reset.email, {
      appUrl: APP_URL,
      productName: 'Acme Gate',
    });
    expect(rendered.subject).toBe('Reset your Acme Gate password');
    expect(rendered.html).toContain('>Acme Gate</div>');
    expect(rendered.text).toContain('because of your Acme Gate account');
  });

  it('links payment_succeeded to billing settings when there is no invoice', () => {
    const rendered = renderEmail(
      { ...RENDER_CASES.payment_succeeded.email, invoiceUrl: null, invoiceNumber: null } as never,
      context,
    );
    expect(rendered.html).toContain(`href="${APP_URL}/settings/subscription"`);
    expect(rendered.text).not.toContain('Invoice:');
  });

  it('words payment_failed without a grace period', () => {
    const rendered = renderEmail(
      { ...RENDER_CASES.payment_failed.email, graceEndsAt: null } as never,
      context,
    );
    expect(rendered.text).toContain('Update your card to keep your Pro plan active.');
  });

  it('omits the run allowance when plan_changed has none', () => {
    const rendered = renderEmail(
      { ...RENDER_CASES.plan_changed.email, runsPerPeriod: null } as never,
      context,
    );
    expect(rendered.text).not.toContain('per billing period');
  });

  it.each([
    [{ percent: 80 }, "You've used 80% of your runs"],
    [{ percent: 100 }, "You've used all your runs"],
    [{ runsRemaining: 0 }, "You've used all your runs"],
    [{ runsRemaining: 1 }, 'Only 1 run left'],
    [{ runsRemaining: 25 }, 'Only 25 runs left'],
  ])('words the usage alert subject for %o', (threshold, subject) => {
    const rendered = renderEmail({ ...RENDER_CASES.usage_alert.email, threshold } as never, context);
    expect(rendered.subject).toBe(subject);
  });

  it.each([
    [0, 'Your trial ends today'],
    [1, 'Your trial ends tomorrow'],
    [7, 'Your trial ends in 7 days'],
  ])('words the trial ending subject for %i days left', (daysLeft, subject) => {
    const rendered = renderEmail({ ...RENDER_CASES.trial_ending.email, daysLeft } as never, context);
    expect(rendered.subject).toBe(subject);
  });

  it('throws on an invalid date rather than mailing "Invalid Date"', () => {
    const email = { ...RENDER_CASES.trial_started.email, trialEndsAt: new Date('nope') } as never;
    expect(() => renderEmail(email, context)).toThrow(/invalid date/);
  });
});
