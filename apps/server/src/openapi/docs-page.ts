import type { JsonSchema } from './json-schema';
import type { HttpMethod, OpenApiDocument, OpenApiOperation, OpenApiParameter } from './openapi-types';
import { fieldRows, typeLabel, type FieldRow, type TypeLabel } from './schema-view';
import { curlExample } from './docs-page-example';
import { DOCS_PAGE_STYLE } from './docs-page-style';

interface Entry {
  path: string;
  method: HttpMethod;
  operation: OpenApiOperation;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Escaped text where `backticks` become <code>. */
function prose(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function typeHtml(label: TypeLabel): string {
  if (!label.refName) return `<code>${escapeHtml(label.text)}</code>`;
  return `<a href="#schema-${escapeHtml(label.refName)}"><code>${escapeHtml(label.text)}</code></a>`;
}

function fieldTable(rows: FieldRow[]): string {
  if (!rows.length) return '<p class="muted">No fields.</p>';
  const body = rows
    .map((row) => {
      const notes = [row.description, ...row.constraints.map((constraint) => `(${constraint})`)]
        .filter(Boolean)
        .map(prose)
        .join(' ');
      const flags = `${row.isRequired ? '<span class="badge">required</span>' : ''}${row.isDeprecated ? '<span class="badge muted">alias</span>' : ''}`;
      return `<tr><td><code>${escapeHtml(row.name)}</code> ${flags}</td><td>${typeHtml(row.type)}</td><td>${notes}</td></tr>`;
    })
    .join('');
  return `<table><thead><tr><th>Field</th><th>Type</th><th>Notes</th></tr></thead><tbody>${body}</tbody></table>`;
}

function parameterTable(parameters: OpenApiParameter[]): string {
  const rows = parameters
    .map(
      (parameter) =>
        `<tr><td><code>${escapeHtml(parameter.name)}</code> ${parameter.required ? '<span class="badge">required</span>' : ''}</td><td>${escapeHtml(parameter.in)}</td><td>${typeHtml(typeLabel(parameter.schema))}</td><td>${prose(parameter.description ?? '')}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>Notes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function authText(operation: OpenApiOperation, document: OpenApiDocument): string {
  const names = operation.security.flatMap((requirement) => Object.keys(requirement));
  if (!names.length) return 'none (public)';
  return names
    .map((name) => {
      const scheme = document.components.securitySchemes[name];
      return `<a href="#authentication"><code>${escapeHtml(name)}</code></a>${scheme ? ` (Bearer ${escapeHtml(scheme.bearerFormat)})` : ''}`;
    })
    .join(' or ');
}

/** Stripe calls its webhook itself, signed with the endpoint's secret: no example a reader could run. */
function exampleHtml({ path, method, operation }: Entry): string {
  if (operation.tags.includes('stripe')) {
    return '<h4>Example</h4><p class="muted">None: Stripe calls this route itself, signed with the webhook secret.</p>';
  }
  return `<h4>Example</h4><pre><code>${escapeHtml(curlExample(path, method, operation))}</code></pre>`;
}

function operationHtml(entry: Entry, document: OpenApiDocument): string {
  const { operation, method, path } = entry;
  const procedure = operation['x-trpc-procedure'];
  const body = operation.requestBody?.content['application/json']?.schema;
  const responses = Object.entries(operation.responses)
    .map(([status, response]) => {
      const schema = response.content?.['application/json']?.schema;
      return `<tr><td><code>${escapeHtml(status)}</code></td><td>${prose(response.description)}</td><td>${schema ? typeHtml(typeLabel(schema)) : ''}</td></tr>`;
    })
    .join('');
  return `<article class="operation" id="op-${escapeHtml(operation.operationId)}">
<h3><span class="method method-${method}">${method.toUpperCase()}</span> <code>/api/v1${escapeHtml(path)}</code></h3>
<p class="summary">${prose(operation.summary)}</p>
${operation.description ? `<p>${prose(operation.description)}</p>` : ''}
<p class="meta">Auth: ${authText(operation, document)}${procedure ? ` · tRPC procedure <code>${escapeHtml(procedure)}</code>` : ''}</p>
${operation.parameters?.length ? `<h4>Parameters</h4>${parameterTable(operation.parameters)}` : ''}
${body ? `<h4>Request body${operation.requestBody?.required ? '' : ' (optional)'}</h4>${fieldTable(fieldRows(body))}` : ''}
<h4>Responses</h4><table><thead><tr><th>Status</th><th>Meaning</th><th>Body</th></tr></thead><tbody>${responses}</tbody></table>
${exampleHtml(entry)}
</article>`;
}

/** How to run the examples: every one is a curl command that runs as written once these are set. */
function examplesHtml(baseUrl: string): string {
  const variables: [name: string, meaning: string][] = [
    ['TOLLGATE_URL', `this server (default below: \`${baseUrl}\`)`],
    ['TOKEN', 'a user’s access token: `accessToken` of `POST /auth/register` or `/auth/login`'],
    ['REFRESH_TOKEN', 'that answer’s `refreshToken`'],
    ['API_KEY', 'a service API key (`tg_sk_…`, from `POST /api-keys`) with the scope the route needs'],
    ['USER_ID', 'the user a service acts for: `id` of `GET /auth/me` with that user’s token'],
    ['SESSION_ID', '`id` of `POST /sessions`'],
    ['API_KEY_ID', '`id` of a platform key: `POST /api-keys` or `GET /api-keys`'],
    ['ACCOUNT_ID', 'a team account you own: `id` of `POST /accounts` (or of `GET /accounts`)'],
    [
      'MEMBER_USER_ID',
      'another user who joined that account (they accept your invitation with `POST /invitations/accept`): ' +
        'their `userId` in `GET /accounts/{accountId}/members`',
    ],
    [
      'INVITATION_ID',
      '`id` of a pending invitation of that account: `POST` or `GET /accounts/{accountId}/invitations`',
    ],
    [
      'ACCOUNT_KEY_ID',
      '`id` of one of that account’s keys: `POST` or `GET /accounts/{accountId}/api-keys` (not a platform key)',
    ],
    ['TRANSFER_ACCOUNT_ID', 'a team account you own and hand over: `id` of another `POST /accounts`'],
    ['NEW_OWNER_USER_ID', 'a member of that account, the new owner: their `userId` in its members list'],
    [
      'LEAVE_ACCOUNT_ID',
      'a team account you joined and may leave (you aren’t its last owner): `id` of `POST /invitations/accept`',
    ],
    [
      'LINK_ACCOUNT_ID',
      'an invitation sent to you, not yet accepted: the link’s `account` (the inviter’s `POST ' +
        '/accounts/{accountId}/invitations` answers it as `accountId`)',
    ],
    ['LINK_INVITATION_ID', 'that link’s `invitation` (the inviter’s answer: `id`)'],
    ['LINK_TOKEN', 'that link’s `#token=` fragment (the inviter’s answer: `token`)'],
    [
      'VERIFY_TOKEN',
      'the `#token=` fragment of the link in the verification email sent at sign-up (or by ' +
        '`POST /auth/resend-verification`)',
    ],
    [
      'RESET_TOKEN',
      'the `#token=` fragment of the link in the email `POST /auth/password-reset/request` sends',
    ],
  ];
  const rows = variables
    .map(([name, meaning]) => `<li><code>$${name}</code>: ${prose(meaning)}</li>`)
    .join('');
  const setup = `TOLLGATE_URL=\${TOLLGATE_URL:-${baseUrl}}`;
  return `<h3 id="examples">Running the examples</h3><p>Each example is a curl command that fails on an error answer (<code>--fail-with-body</code>) and reads these shell variables:</p><ul>${rows}</ul><pre><code>${escapeHtml(setup)}</code></pre>`;
}

function schemaHtml(name: string, schema: JsonSchema): string {
  const content =
    schema.type === 'object' ? fieldTable(fieldRows(schema)) : `<p>${typeHtml(typeLabel(schema))}</p>`;
  return `<section class="schema" id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${content}</section>`;
}

function entriesOf(document: OpenApiDocument): Entry[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    (Object.entries(item) as [HttpMethod, OpenApiOperation][]).map(([method, operation]) => ({
      path,
      method,
      operation,
    })),
  );
}

/**
 * The API reference as one self-contained HTML page, rendered on the server from the OpenAPI
 * document: no script and no third-party asset, so it works under the strict CSP and offline.
 */
export function renderDocsPage(document: OpenApiDocument, { baseUrl }: { baseUrl: string }): string {
  const entries = entriesOf(document);
  // An operation whose tag the document doesn't describe still gets its section (after the others).
  const undescribed = [...new Set(entries.flatMap((entry) => entry.operation.tags))]
    .filter((name) => !document.tags.some((tag) => tag.name === name))
    .map((name) => ({ name, description: '' }));
  const byTag = [...document.tags, ...undescribed].map((tag) => ({
    tag,
    entries: entries.filter((entry) => entry.operation.tags.includes(tag.name)),
  }));
  const nav = byTag
    .map(
      ({ tag, entries: tagEntries }) =>
        `<h2>${escapeHtml(tag.name)}</h2><ul>${tagEntries
          .map(
            ({ operation, method, path }) =>
              `<li><a href="#op-${escapeHtml(operation.operationId)}"><span class="method method-${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</a></li>`,
          )
          .join('')}</ul>`,
    )
    .join('');
  const sections = byTag
    .map(
      ({ tag, entries: tagEntries }) =>
        `<section id="tag-${escapeHtml(tag.name)}"><h2>${escapeHtml(tag.name)}</h2><p>${prose(tag.description)}</p>${tagEntries
          .map((entry) => operationHtml(entry, document))
          .join('')}</section>`,
    )
    .join('');
  const schemes = Object.entries(document.components.securitySchemes)
    .map(
      ([name, scheme]) =>
        `<li><code>${escapeHtml(name)}</code>: <code>Authorization: Bearer &lt;${escapeHtml(scheme.bearerFormat)}&gt;</code>. ${prose(scheme.description)}</li>`,
    )
    .join('');
  const schemas = Object.entries(document.components.schemas)
    .map(([name, schema]) => schemaHtml(name, schema))
    .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.info.title)} reference</title>
<style>${DOCS_PAGE_STYLE}</style>
</head>
<body>
<nav aria-label="Operations"><p class="brand">${escapeHtml(document.info.title)} <span class="muted">v${escapeHtml(document.info.version)}</span></p>${nav}<h2>more</h2><ul><li><a href="#authentication">Authentication</a></li><li><a href="#schemas">Schemas</a></li></ul></nav>
<main>
<header><h1>${escapeHtml(document.info.title)} reference</h1><p>${prose(document.info.description)}</p>
<p>Base URL <code>${escapeHtml(baseUrl)}/api/v1</code> · machine-readable: <a href="/api/v1/openapi.json">OpenAPI 3.1 document</a></p></header>
<section id="authentication"><h2>Authentication</h2><ul>${schemes}</ul>
${examplesHtml(baseUrl)}
<p>Errors answer <code>{ "error": { "code", "message" } }</code> (plus <code>fieldErrors</code> for invalid input); a denied run answers <a href="#schema-PaymentRequiredBody">402 PaymentRequiredBody</a>.</p></section>
${sections}
<section id="schemas"><h2>Schemas</h2>${schemas}</section>
</main>
</body>
</html>
`;
}
