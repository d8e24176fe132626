import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  applyPackDispute,
  applyPackRefund,
  applyTakenBackAtCredit,
  creditGrants,
  creditPackPurchase,
  earlyPaymentTakebacks,
  type Database,
  type PaymentFacts,
} from '../src';
import { readBooks } from './credit-helpers';
import { makeUser, useTestDb } from './fixtures';
import { NOW } from './reservation-helpers';
import { postgresServerUrl, withTwoPools } from './two-pools';

// A pack's credit reads Stripe before its transaction; a refund or dispute event handled after that
// read finds no pack. What the event saw is recorded under the payment's lock, and the credit applies
// it under the same lock: in any order of the two, a refunded pack can't be spent.

const handle = useTestDb();

/** What the credit read of the payment: nothing taken back yet. */
const NOTHING: PaymentFacts = { amountRefundedCents: 0, amountDisputedCents: 0, amountDisputeWonCents: 0 };
const OPEN = { amountDisputedCents: 1000, amountDisputeWonCents: 0 };
const WON = { amountDisputedCents: 0, amountDisputeWonCents: 1000 };

/** Credits a $10 pack of 100 units paid by `paymentIntentId`, as the session's webhook does. */
async function creditPack(
  db: Database,
  accountId: string,
  paymentIntentId: string,
  options: { read?: PaymentFacts; beforeCommit?: () => Promise<void> } = {},
) {
  return db.transaction(async (tx) => {
    await creditPackPurchase(tx, {
      accountId,
      packId: 'PACK_100',
      units: 100,
      checkoutSessionId: `cs_${paymentIntentId}`,
      paymentIntentId,
      amountPaidCents: 1000,
      currency: 'usd',
      purchasedAt: NOW,
      expiresAt: new Date(NOW.getTime() + 365 * 86_400_000),
    });
    const result = await applyTakenBackAtCredit(tx, { paymentIntentId, read: options.read ?? NOTHING });
    await options.beforeCommit?.();
    return result;
  });
}

async function packOf(db: Database, paymentIntentId: string) {
  const [row] = await db
    .select({
      remaining: creditGrants.remaining,
      clawbackUnits: creditGrants.clawbackUnits,
      clawedBackUnits: creditGrants.clawedBackUnits,
      amountRefundedCents: creditGrants.amountRefundedCents,
      amountDisputedCents: creditGrants.amountDisputedCents,
      amountDisputeWonCents: creditGrants.amountDisputeWonCents,
    })
    .from(creditGrants)
    .where(eq(creditGrants.paymentIntentId, paymentIntentId));
  return row;
}

describe('refunds and disputes seen before the pack is credited', () => {
  it('a refund that found no pack is applied by the credit, though the credit read nothing refunded', async () => {
    const user = await makeUser(handle.db);
    expect(
      await applyPackRefund(handle.db, { paymentIntentId: 'pi_early', amountRefundedCents: 1000 }),
    ).toBeNull();
    await creditPack(handle.db, user.accountId, 'pi_early');
    expect(await packOf(handle.db, 'pi_early')).toEqual({
      remaining: 0,
      clawbackUnits: 100,
      clawedBackUnits: 100,
      amountRefundedCents: 1000,
      amountDisputedCents: 0,
      amountDisputeWonCents: 0,
    });
    expect(await readBooks(handle.db)).toMatchObject({ unbalancedGrants: [] });
  });

  it('the cumulative refund wins, whichever side saw more; redelivered events and credits change nothing', async () => {
    const user = await makeUser(handle.db);
    // Recorded: 700 then an older view (300) that doesn't lower it.
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_cumulative', amountRefundedCents: 700 });
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_cumulative', amountRefundedCents: 300 });
    const read = { ...NOTHING, amountRefundedCents: 333 };
    await creditPack(handle.db, user.accountId, 'pi_cumulative', { read });
    // ⌈100 × 700 ÷ 1000⌉: the same refunds seen twice, not 333 + 700.
    const expected = { remaining: 30, clawbackUnits: 70, amountRefundedCents: 700 };
    expect(await packOf(handle.db, 'pi_cumulative')).toMatchObject(expected);
    await creditPack(handle.db, user.accountId, 'pi_cumulative', { read });
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_cumulative', amountRefundedCents: 700 });
    expect(await packOf(handle.db, 'pi_cumulative')).toMatchObject(expected);
  });

  it('a dispute that found no pack claws back at the credit; won later keeps it; an older view changes nothing', async () => {
    const user = await makeUser(handle.db);
    expect(await applyPackDispute(handle.db, { paymentIntentId: 'pi_disputed', ...OPEN })).toBeNull();
    await creditPack(handle.db, user.accountId, 'pi_disputed');
    expect(await packOf(handle.db, 'pi_disputed')).toMatchObject({
      remaining: 0,
      clawbackUnits: 100,
      ...OPEN,
    });
    await applyPackDispute(handle.db, { paymentIntentId: 'pi_disputed', ...WON });
    await applyPackDispute(handle.db, { paymentIntentId: 'pi_disputed', ...OPEN });
    expect(await packOf(handle.db, 'pi_disputed')).toMatchObject({
      remaining: 0,
      clawbackUnits: 100,
      ...WON,
    });
  });

  it('won recorded early, an open dispute read by the credit: the clawback of the open view stays', async () => {
    const user = await makeUser(handle.db);
    // The credit read Stripe while the dispute was open; the event saw it won before the pack existed.
    await applyPackDispute(handle.db, { paymentIntentId: 'pi_won_early', ...WON });
    await applyPackDispute(handle.db, { paymentIntentId: 'pi_won_early', ...OPEN });
    await creditPack(handle.db, user.accountId, 'pi_won_early', { read: { ...NOTHING, ...OPEN } });
    expect(await packOf(handle.db, 'pi_won_early')).toMatchObject({
      remaining: 0,
      clawbackUnits: 100,
      ...WON,
    });
  });

  it('a payment that buys no pack is only recorded; a pack credited with nothing taken back keeps its units', async () => {
    const user = await makeUser(handle.db);
    expect(
      await applyPackRefund(handle.db, { paymentIntentId: 'pi_invoice', amountRefundedCents: 500 }),
    ).toBeNull();
    expect(await creditPack(handle.db, user.accountId, 'pi_clean')).toBeNull();
    expect(await packOf(handle.db, 'pi_clean')).toMatchObject({ remaining: 100, clawbackUnits: 0 });
    const recorded = await handle.db.select().from(earlyPaymentTakebacks);
    expect(recorded.map((row) => [row.paymentIntentId, row.amountRefundedCents])).toEqual([
      ['pi_invoice', 500],
    ]);
  });
});

/** A promise and the function that settles it. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

async function isStillWaiting(promise: Promise<unknown>, ms = 400): Promise<boolean> {
  const waited = new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), ms));
  return (await Promise.race([promise.then(() => 'settled' as const), waited])) === 'waiting';
}

describe.skipIf(!postgresServerUrl)('a refund and the credit at once, on PostgreSQL with two pools', () => {
  it('a refund handled while the credit is uncommitted waits for it, then claws back the pack', async () => {
    await withTwoPools(async (a, b) => {
      const user = await makeUser(a);
      const holding = gate();
      const release = gate();
      const credit = creditPack(a, user.accountId, 'pi_race', {
        beforeCommit: async () => {
          holding.open();
          await release.opened;
        },
      });
      await holding.opened;
      const refund = applyPackRefund(b, { paymentIntentId: 'pi_race', amountRefundedCents: 1000 });
      const isWaiting = await isStillWaiting(refund);
      release.open();
      expect(isWaiting).toBe(true);
      await credit;
      expect(await refund).toMatchObject({ clawbackUnits: 100, removedNow: 100, owed: 0 });
      expect(await packOf(a, 'pi_race')).toMatchObject({ remaining: 0, clawedBackUnits: 100 });
    });
  });

  it('a credit that starts while a refund (no pack yet) is uncommitted waits for it, then applies it', async () => {
    await withTwoPools(async (a, b) => {
      const user = await makeUser(a);
      const holding = gate();
      const release = gate();
      const refund = a.transaction(async (tx) => {
        const result = await applyPackRefund(tx, { paymentIntentId: 'pi_race', amountRefundedCents: 1000 });
        holding.open();
        await release.opened;
        return result;
      });
      await holding.opened;
      const credit = creditPack(b, user.accountId, 'pi_race');
      const isWaiting = await isStillWaiting(credit);
      release.open();
      expect(isWaiting).toBe(true);
      expect(await refund).toBeNull();
      expect(await credit).toMatchObject({ clawbackUnits: 100, removedNow: 100 });
      expect(await packOf(a, 'pi_race')).toMatchObject({ remaining: 0, clawedBackUnits: 100 });
    });
  });

  it('many refund views and credits of one payment at once converge on the highest refund', async () => {
    await withTwoPools(async (a, b) => {
      const user = await makeUser(a);
      const views = [100, 250, 999, 400, 50, 600];
      await Promise.all([
        ...views.map((cents, i) =>
          applyPackRefund(i % 2 ? a : b, { paymentIntentId: 'pi_many', amountRefundedCents: cents }),
        ),
        creditPack(a, user.accountId, 'pi_many'),
        creditPack(b, user.accountId, 'pi_many'),
      ]);
      // ⌈100 × 999 ÷ 1000⌉ = 100
      expect(await packOf(a, 'pi_many')).toMatchObject({
        remaining: 0,
        clawbackUnits: 100,
        amountRefundedCents: 999,
      });
      expect(await readBooks(a)).toMatchObject({ unbalancedGrants: [] });
    });
  });
});
