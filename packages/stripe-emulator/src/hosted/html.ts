/** Minimal server-rendered HTML helpers for the hosted pages (no client-side JS anywhere). */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** A tagged template that escapes every interpolation unless it is already `SafeHtml`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = string | number | SafeHtml | null | undefined | false | Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof SafeHtml) return value.value;
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f6f8fa; color: #1a1f36; margin: 0; }
  main { max-width: 32rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px;
         box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  .test-mode { background: #ffde92; color: #5c3b00; font-size: .8rem; padding: .25rem .5rem; border-radius: 4px;
               display: inline-block; }
  .price { font-size: 2rem; font-weight: 600; margin: .25rem 0 1rem; }
  label { display: block; font-weight: 500; margin: 1rem 0 .25rem; }
  input { width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; border: 1px solid #c1c9d2;
          border-radius: 6px; }
  button { margin-top: 1rem; padding: .6rem 1.2rem; font-size: 1rem; border-radius: 6px; border: 0;
           background: #635bff; color: #fff; cursor: pointer; }
  button.secondary { background: #e3e8ee; color: #1a1f36; }
  form.inline { display: inline-block; margin-right: .5rem; }
  [role=alert] { background: #fde8e8; color: #9b1c1c; padding: .75rem; border-radius: 6px; margin: 1rem 0; }
  [role=status] { background: #e3f9e5; color: #1f5130; padding: .75rem; border-radius: 6px; margin: 1rem 0; }
  table { width: 100%; border-collapse: collapse; font-size: .9rem; }
  td, th { text-align: left; padding: .3rem; border-bottom: 1px solid #e3e8ee; }
  small, .hint { color: #697386; }
`;

export function page(title: string, body: SafeHtml): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="test-mode">Test mode · Stripe emulator</p>
${body.value}
</main>
</body>
</html>`;
}

export function formatDate(unixSeconds: number): string {
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' }).format(
    new Date(unixSeconds * 1000),
  );
}

export function isoDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

export function humanStatus(status: string): string {
  const text = status.replaceAll('_', ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The card number field of the hosted checkout and portal forms (the only card detail asked for). */
export function cardNumberField(value?: string): SafeHtml {
  return html`<label for="card-number">Card number</label>
    <input
      id="card-number"
      name="card_number"
      inputmode="numeric"
      autocomplete="cc-number"
      required
      placeholder="4242 4242 4242 4242"
      ${value === undefined ? '' : html`value="${value}"`}
    />`;
}
