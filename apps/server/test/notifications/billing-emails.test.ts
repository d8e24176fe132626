import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, Customer } from '../billing/scenarios';
import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { personalAccountId } from '@tollgate/db';
import { trpc } from '../support/http';
import { linksIn, mailTo } from '../support/mailbox';
import { registerOperator } from '../support/operators';

const DAY_MS = 86_400_000;
const ENV = { EMAIL_OUTBOX_INTERVAL_MS: '0', NOTIFICATION_CLOCK_INTERVAL_SECONDS: '0' };

let inOrder: BillingTestServer;
let chaotic: BillingTestServer;
beforeAll(async () => {
  [inOrder, chaotic] = await Promise.all([startBillingTestServer(ENV), startBillingTestServer(ENV)]);
  // Every event delivered twice, held until settle() and released in a seeded random order.
  chaotic.emulator.webhooks.setMode({ duplicate: true, shuffle: true, seed: 20261203 });
});
afterAll(async () => {
  await Promise.all([inOrder?.stop(), chaotic?.stop()]);
});

/** Customer.signUp verifies the address (the link flow itself is tested in test/email/). */
async function verifiedCustomer(billing: BillingTestServer) {
  const customer = await Customer.signUp(billing);
  const me = await customer.call('query', 'auth.me');
  return { customer, email: me.data.email as string };
}

async function tick(billing: BillingTestServer) {
  await billing.emulator.clock.advance(60);
  await billing.server.services.billingReminders.runOnce();
}

/** What a customer's mailbox holds, as [subject, every link] pairs, sign-up email left out. */
async function mailbox(billing: BillingTestServer, email: string) {
  return (await mailTo(billing.server, email))
    .filter((message) => !message.subject.startsWith('Verify'))
    .map((message) => ({ subject: message.subject, text: message.text, links: linksIn(message) }));
}

type Journey = (billing: BillingTestServer) => Promise<{ email: string }>;

const JOURNEYS: Record<string, Journey> = {
  'trial: started, 3 days left, 1 day left': async (billing) => {
    const { customer, email } = await verifiedCustomer(billing);
    expect((await customer.call('mutation', 'billing.activateTrial')).status).toBe(200);
    await customer.advanceDays(11);
    await tick(billing);
    await customer.advanceDays(2);
    await tick(billing);
    await tick(billing);
    return { email };
  },
  'trial extended by staff to 30 days: reminders before the new end, none before the old one': async (
    billing,
  ) => {
    const { customer, email } = await verifiedCustomer(billing);
    expect((await customer.call('mutation', 'billing.activateTrial')).status).toBe(200);
    const operator = await registerOperator(billing.server);
    const until = new Date(billing.emulator.clock.now().getTime() + 30 * DAY_MS).toISOString();
    const extended = await trpc(
      billing.server.url,
      'mutation',
      'admin.setTrial',
      { accountId: personalAccountId(customer.userId), mode: 'extend', until, reason: 'sales asked' },
      operator.accessToken,
    );
    expect(extended.status).toBe(200);
    await customer.advanceDays(13); // the 14-day trial would have ended tomorrow
    await tick(billing);
    await customer.advanceDays(14); // 3 days before the extended end
    await tick(billing);
    await customer.advanceDays(2);
    await tick(billing);
    return { email };
  },
  'BASIC → PRO in the portal → cancel at period end → ended': async (billing) => {
    const { customer, email } = await verifiedCustomer(billing);
    await customer.checkout('BASIC', CARDS.success);
    await customer.portal({ action: 'switch', priceId: billing.emulator.prices.PRO });
    await customer.portal({ action: 'cancel_at_period_end' });
    await customer.advanceDays(31);
    return { email };
  },
  'renewal fails with 0341 → card updated in the portal': async (billing) => {
    const { customer, email } = await verifiedCustomer(billing);
    await customer.checkout('PRO', CARDS.failsLater);
    await customer.advanceDays(31);
    await customer.advanceDays(1);
    await customer.portal({ action: 'update_card', cardNumber: CARDS.success });
    return { email };
  },
};

const EXPECTED_SUBJECTS: Record<string, RegExp[]> = {
  'trial: started, 3 days left, 1 day left': [
    /^Your Tollgate trial has started/,
    /^Your trial ends in 3 days/,
    /^Your trial ends tomorrow/,
  ],
  'trial extended by staff to 30 days: reminders before the new end, none before the old one': [
    /^Your Tollgate trial has started/,
    /^Your trial ends in 3 days/,
    /^Your trial ends tomorrow/,
  ],
  'BASIC → PRO in the portal → cancel at period end → ended': [
    /^Payment received — \$19\.00/,
    /^Your plan changed to Pro/,
    // The upgrade's prorated difference, invoiced and charged at once (the portal's always_invoice).
    /^Payment received — \$(29\.9\d|30\.00)/,
    /^Your subscription will end on /,
    /^Your subscription was canceled/,
  ],
  'renewal fails with 0341 → card updated in the portal': [
    /^Payment received — \$49\.00/,
    /^Payment failed/,
    /^Payment recovered/,
    /^Payment received — \$49\.00/,
  ],
};

describe('billing emails: each once, with the same emails whatever the delivery order', () => {
  for (const [name, journey] of Object.entries(JOURNEYS)) {
    it(
      name,
      async () => {
        const [expected, actual] = await Promise.all([journey(inOrder), journey(chaotic)]);
        const received = await mailbox(inOrder, expected.email);
        const subjects = received.map((message) => message.subject);
        const patterns = EXPECTED_SUBJECTS[name] ?? [];
        expect(subjects, JSON.stringify(subjects)).toHaveLength(patterns.length);
        for (const pattern of patterns) {
          const times = patterns.filter((other) => other.source === pattern.source).length;
          expect(
            subjects.filter((subject) => pattern.test(subject)),
            String(pattern),
          ).toHaveLength(times);
        }
        for (const message of received) {
          expect(message.links.every((link) => link.startsWith('http'))).toBe(true);
        }
        // Replayed and shuffled deliveries: the same emails, each once (order may differ).
        const shuffled = (await mailbox(chaotic, actual.email)).map((message) => message.subject);
        expect([...shuffled].sort()).toEqual([...subjects].sort());
      },
      90_000,
    );
  }
});
