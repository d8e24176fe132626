// Developer tooling only (the dev inbox viewer), so plain template strings are fine here; customer
// email HTML comes from MJML. Every interpolated value still goes through escapeHtml.
import type { InboxMessage } from './dev-inbox.js';
import { escapeHtml as e } from './escape-html.js';

export interface InboxPageOptions {
  /** Where the inbox page is mounted, e.g. `/dev/mail`; message pages live under it. */
  basePath: string;
}

export function renderInboxPage(messages: readonly InboxMessage[], options: InboxPageOptions): string {
  const newestFirst = [...messages].sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime());
  const rows = newestFirst
    .map(
      (message) => `<tr>
  <td>${e(message.receivedAt.toISOString())}</td>
  <td>${e(message.to.join(', '))}</td>
  <td><a href="${e(messageHref(options.basePath, message.id))}">${e(message.subject || '(no subject)')}</a></td>
</tr>`,
    )
    .join('\n');
  const body = newestFirst.length
    ? `<table><thead><tr><th>Received (UTC)</th><th>To</th><th>Subject</th></tr></thead>
<tbody>
${rows}
</tbody></table>`
    : '<p>No messages yet.</p>';
  return page('Dev inbox', `<h1>Dev inbox</h1>\n<p>${newestFirst.length} message(s)</p>\n${body}`);
}

export function renderMessagePage(message: InboxMessage, options: InboxPageOptions): string {
  const headers: Array<[string, string]> = [
    ['From', message.from],
    ['To', message.to.join(', ')],
    ['Subject', message.subject],
    ['Message-ID', message.messageId ?? '(none)'],
    ['Date', message.date ? message.date.toISOString() : '(none)'],
    ['Received', message.receivedAt.toISOString()],
  ];
  const headerRows = headers
    .map(([name, value]) => `<tr><th>${e(name)}</th><td>${e(value)}</td></tr>`)
    .join('\n');
  // srcdoc is an attribute, so the escaped HTML is decoded once by the browser and rendered in a
  // sandbox without scripts; the email can't touch this page.
  const htmlPart = message.html
    ? `<iframe sandbox srcdoc="${e(message.html)}" title="HTML body"></iframe>`
    : '<p>(no HTML part)</p>';
  return page(
    message.subject || 'Message',
    `<p><a href="${e(options.basePath)}">&larr; All messages</a></p>
<h1>${e(message.subject || '(no subject)')}</h1>
<table class="headers">
${headerRows}
</table>
<h2>HTML</h2>
${htmlPart}
<h2>Text</h2>
<pre>${e(message.text)}</pre>`,
  );
}

function messageHref(basePath: string, id: string): string {
  return `${basePath.replace(/\/+$/, '')}/${encodeURIComponent(id)}`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>${e(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2937; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
iframe { width: 100%; height: 40rem; border: 1px solid #e5e7eb; }
pre { white-space: pre-wrap; background: #f9fafb; padding: 1rem; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}
