/**
 * A tiny browser-like client for the hosted pages: real HTTP, no JS, forms found by their button
 * label and inputs found through their <label for>, like a user (or Playwright) would.
 */
export interface HtmlPage {
  url: string;
  status: number;
  html: string;
}

export interface FormResult {
  status: number;
  /** Redirect target of a 3xx answer. */
  location: string | null;
  /** The page answered when the response is not a redirect (e.g. an error on the form). */
  page: HtmlPage | null;
}

function decodeEntities(value: string): string {
  return value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function attribute(tag: string, name: string): string | null {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match?.[1] === undefined ? null : decodeEntities(match[1]);
}

export function textOf(html: string): string {
  return decodeEntities(html.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ')).replace(
    /\s+/g,
    ' ',
  );
}

export async function openPage(url: string): Promise<HtmlPage> {
  const response = await fetch(url, { redirect: 'manual' });
  return { url, status: response.status, html: await response.text() };
}

/** The text of the element with role="alert", if any. */
export function alertText(page: HtmlPage): string | null {
  const match = /<div role="alert">([\s\S]*?)<\/div>/.exec(page.html);
  return match?.[1] === undefined ? null : textOf(match[1]).trim();
}

export function buttonLabels(page: HtmlPage): string[] {
  return [...page.html.matchAll(/<button[^>]*>([\s\S]*?)<\/button>/g)].map((match) =>
    textOf(match[1] ?? '').trim(),
  );
}

export function linkHref(page: HtmlPage, text: string): string | null {
  for (const match of page.html.matchAll(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g)) {
    if (textOf(match[2] ?? '').trim() === text) return decodeEntities(match[1] ?? '');
  }
  return null;
}

/** Fills the form holding the button labelled `button` (inputs addressed by label text) and submits it. */
export async function submitForm(
  page: HtmlPage,
  button: string,
  fields: Record<string, string> = {},
): Promise<FormResult> {
  const forms = [...page.html.matchAll(/<form([^>]*)>([\s\S]*?)<\/form>/g)];
  const form = forms.find((match) =>
    [...(match[2] ?? '').matchAll(/<button[^>]*>([\s\S]*?)<\/button>/g)].some(
      (b) => textOf(b[1] ?? '').trim() === button,
    ),
  );
  if (!form) throw new Error(`no form with a "${button}" button on ${page.url}`);
  const [, formTag = '', inner = ''] = form;
  const body = new URLSearchParams();
  for (const input of inner.matchAll(/<input[^>]*>/g)) {
    const name = attribute(input[0], 'name');
    if (name !== null && attribute(input[0], 'type') === 'hidden')
      body.set(name, attribute(input[0], 'value') ?? '');
  }
  // like a browser, a named submit button sends its own name=value
  const clicked = [...inner.matchAll(/<button([^>]*)>([\s\S]*?)<\/button>/g)].find(
    (match) => textOf(match[2] ?? '').trim() === button,
  );
  const buttonName = clicked ? attribute(clicked[1] ?? '', 'name') : null;
  if (clicked && buttonName !== null) body.set(buttonName, attribute(clicked[1] ?? '', 'value') ?? '');
  for (const [label, value] of Object.entries(fields)) {
    const labelMatch = [...inner.matchAll(/<label for="([^"]+)">([\s\S]*?)<\/label>/g)].find(
      (match) => textOf(match[2] ?? '').trim() === label,
    );
    if (!labelMatch) throw new Error(`no field labelled "${label}" in the "${button}" form`);
    const input = [...inner.matchAll(/<input[^>]*>/g)].find(
      (match) => attribute(match[0], 'id') === labelMatch[1],
    );
    const name = input ? attribute(input[0], 'name') : null;
    if (name === null) throw new Error(`label "${label}" points to no named input`);
    body.set(name, value);
  }
  const action = new URL(attribute(formTag, 'action') ?? page.url, page.url).toString();
  const response = await fetch(action, {
    method: (attribute(formTag, 'method') ?? 'get').toUpperCase(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
    redirect: 'manual',
  });
  const location = response.headers.get('location');
  if (response.status >= 300 && response.status < 400) {
    await response.arrayBuffer();
    return { status: response.status, location, page: null };
  }
  return {
    status: response.status,
    location: null,
    page: { url: action, status: response.status, html: await response.text() },
  };
}
