// mjml ships no types (and @types/mjml describes MJML 5); the local declaration must reach every
// package that compiles this file, which an import of a .d.ts can't do.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../mjml.d.ts" />
import mjml2html from 'mjml';
import { escapeHtml } from '../escape-html.js';
import { appLink, assertHttpUrl } from '../safe-url.js';
import type { EmailContent, TemplateContext } from './email-content.js';

// The web app's notification settings route (apps/web/src/router/routes.ts); there is no bare
// /settings page to hang a #notifications anchor on.
const PREFERENCES_PATH = '/settings/notifications';

// Matches --primary in apps/web/src/styles/main.css so mail looks like the app. The font stack
// avoids Roboto/Open Sans on purpose: MJML would add a Google Fonts request for those.
const BRAND_COLOR = '#4f46e5';
const TEXT_COLOR = '#1f2937';
const MUTED_COLOR = '#6b7280';
const FONT_STACK = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif";

export interface LayoutOptions {
  /** Non-transactional mail links to the preferences page so the reader can turn it off. */
  hasPreferencesLink: boolean;
}

export interface RenderedParts {
  html: string;
  text: string;
}

export function renderLayout(
  content: EmailContent,
  context: TemplateContext,
  options: LayoutOptions,
): RenderedParts {
  const links = resolveLinks(content, context, options);
  // 'strict' makes MJML throw on invalid markup instead of emitting a broken email.
  const { html } = mjml2html(buildMjml(content, context, links), {
    validationLevel: 'strict',
    keepComments: false,
  });
  return { html, text: buildText(content, context, links) };
}

/** The MJML source, exposed so tests can run MJML's validator over every template. */
export function layoutMjml(content: EmailContent, context: TemplateContext, options: LayoutOptions): string {
  return buildMjml(content, context, resolveLinks(content, context, options));
}

interface Links {
  actionUrl: string;
  preferencesUrl: string | null;
}

function resolveLinks(content: EmailContent, context: TemplateContext, options: LayoutOptions): Links {
  return {
    actionUrl: assertHttpUrl(content.action.url),
    preferencesUrl: options.hasPreferencesLink ? appLink(context.appUrl, PREFERENCES_PATH) : null,
  };
}

function buildMjml(
  content: EmailContent,
  context: TemplateContext,
  { actionUrl, preferencesUrl }: Links,
): string {
  const e = escapeHtml;
  const href = e(actionUrl);
  const paragraphs = content.paragraphs.map((p) => `<mj-text>${e(p)}</mj-text>`).join('\n');
  const details = content.details?.length
    ? `<mj-table padding="8px 25px 16px">${content.details
        .map(
          (row) =>
            `<tr><td style="padding:4px 0;color:${MUTED_COLOR}">${e(row.label)}</td>` +
            `<td style="padding:4px 0;text-align:right;font-weight:600">${e(row.value)}</td></tr>`,
        )
        .join('')}</mj-table>`
    : '';
  const notes = (content.notes ?? [])
    .map((note) => `<mj-text font-size="13px" color="${MUTED_COLOR}">${e(note)}</mj-text>`)
    .join('\n');
  const preferences = preferencesUrl
    ? `<br /><a href="${e(preferencesUrl)}" style="color:${MUTED_COLOR}">Manage email preferences</a>`
    : '';

  return `<mjml lang="en">
  <mj-head>
    <mj-title>${e(content.subject)}</mj-title>
    <mj-preview>${e(content.preview)}</mj-preview>
    <mj-attributes>
      <mj-all font-family="${e(FONT_STACK)}" />
      <mj-text font-size="15px" line-height="1.6" color="${TEXT_COLOR}" />
    </mj-attributes>
  </mj-head>
  <mj-body background-color="#f4f5f7">
    <mj-section padding="24px 0 8px">
      <mj-column>
        <mj-text font-size="22px" font-weight="700" color="${BRAND_COLOR}">${e(context.productName)}</mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff" border-radius="8px" padding="16px 0">
      <mj-column>
        <mj-text font-size="20px" font-weight="700">${e(content.heading)}</mj-text>
        ${paragraphs}
        ${details}
        <mj-button href="${href}" background-color="${BRAND_COLOR}" color="#ffffff" font-weight="600" border-radius="6px" align="left">${e(content.action.label)}</mj-button>
        <mj-text font-size="13px" color="${MUTED_COLOR}">If the button doesn't work, copy this link into your browser:<br /><a href="${href}" style="color:${BRAND_COLOR};word-break:break-all">${e(actionUrl)}</a></mj-text>
        ${notes}
      </mj-column>
    </mj-section>
    <mj-section padding="8px 0 24px">
      <mj-column>
        <mj-text font-size="12px" color="${MUTED_COLOR}" align="center">${e(footerLine(context))}${preferences}</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;
}

function buildText(
  content: EmailContent,
  context: TemplateContext,
  { actionUrl, preferencesUrl }: Links,
): string {
  const blocks: string[] = [context.productName, content.heading, ...content.paragraphs];
  if (content.details?.length) {
    blocks.push(content.details.map((row) => `${row.label}: ${row.value}`).join('\n'));
  }
  blocks.push(`${content.action.label}:\n${actionUrl}`);
  blocks.push(...(content.notes ?? []));
  const footer = ['--', footerLine(context)];
  if (preferencesUrl) footer.push(`Manage email preferences: ${preferencesUrl}`);
  blocks.push(footer.join('\n'));
  return `${blocks.join('\n\n')}\n`;
}

function footerLine(context: TemplateContext): string {
  return `You're receiving this email because of your ${context.productName} account.`;
}
