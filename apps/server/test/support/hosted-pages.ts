/**
 * Drives the emulator's hosted Checkout and Portal pages like a browser without JavaScript would:
 * fetch the HTML, find the form, post it. (The browser e2e suite does the same with Chromium.)
 */
function formActions(html: string): { action: string; body: string }[] {
  return [...html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].map((match) => ({
    action: decodeEntities(match[1] ?? ''),
    body: match[2] ?? '',
  }));
}

function decodeEntities(value: string): string {
  return value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

async function postForm(action: string, fields: Record<string, string>) {
  const response = await fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { status: response.status, location: response.headers.get('location'), html: await response.text() };
}

/** Pays a checkout session with a test card. Success → 303 to success_url; a decline → 402 page with an alert. */
export async function payCheckout(checkoutUrl: string, cardNumber: string) {
  const page = await (await fetch(checkoutUrl)).text();
  const payForm = formActions(page).find((form) => form.body.includes('card_number'));
  if (!payForm) throw new Error(`no payment form on ${checkoutUrl}`);
  const fields: Record<string, string> = { card_number: cardNumber };
  if (payForm.body.includes('name="email"')) fields.email = 'payer@example.test';
  const result = await postForm(payForm.action, fields);
  const alert = /<div role="alert">([\s\S]*?)<\/div>/.exec(result.html)?.[1] ?? null;
  return { ...result, alert };
}

export type PortalAction =
  | { action: 'cancel_at_period_end' | 'cancel_now' | 'resume' }
  | { action: 'switch'; priceId: string }
  | { action: 'update_card'; cardNumber: string };

/** Submits one action on the hosted billing portal page. */
export async function portalAction(portalUrl: string, request: PortalAction) {
  const page = await (await fetch(portalUrl)).text();
  const form = formActions(page).find((candidate) =>
    request.action === 'switch'
      ? candidate.body.includes(`value="${request.priceId}"`)
      : candidate.body.includes(`value="${request.action}"`),
  );
  if (!form) throw new Error(`no "${request.action}" form on the portal page`);
  const fields: Record<string, string> = { action: request.action };
  if (request.action === 'switch') fields.price = request.priceId;
  if (request.action === 'update_card') fields.card_number = request.cardNumber;
  const result = await postForm(form.action, fields);
  if (result.status >= 400)
    throw new Error(`portal ${request.action} failed: ${result.status} ${result.html.slice(0, 300)}`);
  return result;
}
