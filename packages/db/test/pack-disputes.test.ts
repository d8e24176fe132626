import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { applyPackDispute, applyPackRefund, creditGrants, reserveRuns } from '../src';
import { grant, grantRow, readBooks } from './credit-helpers';
import { makeUser, useTestDb } from './fixtures';
import { runOf } from './reservation-helpers';

const handle = useTestDb();

const OPEN = { amountDisputedCents: 1000, amountDisputeWonCents: 0 };
/** Lost: the money stays with the cardholder's bank, as while it was open. */
const LOST = { amountDisputedCents: 1000, amountDisputeWonCents: 0 };
const WON = { amountDisputedCents: 0, amountDisputeWonCents: 1000 };

async function pack(paymentIntentId: string, spent = 0) {
  const user = await makeUser(handle.db);
  const row = await grant(handle.db, user.accountId, 100, { paymentIntentId });
  // The allowance (10) first, then the pack.
  if (spent > 0) await reserveRuns(handle.db, [runOf(user.owner, 'spent', 10, { units: 10 + spent })]);
  return row;
}

async function amountsOf(id: string) {
  const [row] = await handle.db
    .select({
      refunded: creditGrants.amountRefundedCents,
      disputed: creditGrants.amountDisputedCents,
      won: creditGrants.amountDisputeWonCents,
    })
    .from(creditGrants)
    .where(eq(creditGrants.id, id));
  return row;
}

describe('a dispute of a pack’s charge claws back like a refund', () => {
  it('an open dispute of a 40 %-used pack takes the unspent 60; the 40 spent stay spent and are owed', async () => {
    const row = await pack('pi_open', 40);
    const result = await applyPackDispute(handle.db, { paymentIntentId: 'pi_open', ...OPEN });
    expect(result).toMatchObject({ clawbackUnits: 100, removedNow: 60, owed: 40, amountDisputedCents: 1000 });
    expect(await grantRow(handle.db, row.id)).toMatchObject({ remaining: 0, clawed_back_units: 60 });
    expect(await readBooks(handle.db)).toMatchObject({ unbalancedGrants: [], unbalancedRuns: [] });
  });

  it('a dispute won later keeps its clawback (never lowered) and records the win', async () => {
    const row = await pack('pi_won');
    await applyPackDispute(handle.db, { paymentIntentId: 'pi_won', ...OPEN });
    const won = await applyPackDispute(handle.db, { paymentIntentId: 'pi_won', ...WON });
    expect(won).toMatchObject({ clawbackUnits: 100, removedNow: 0, amountDisputeWonCents: 1000 });
    expect(await grantRow(handle.db, row.id)).toMatchObject({ remaining: 0, clawback_units: 100 });
    expect(await amountsOf(row.id)).toEqual({ refunded: 0, disputed: 0, won: 1000 });
    // A refund delivered after the win (nothing refunded) gives nothing back either.
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_won', amountRefundedCents: 0 });
    expect(await grantRow(handle.db, row.id)).toMatchObject({ remaining: 0, clawback_units: 100 });
  });

  it('a dispute first seen already won claws back nothing: Stripe kept the money', async () => {
    const row = await pack('pi_seen_won');
    await applyPackDispute(handle.db, { paymentIntentId: 'pi_seen_won', ...WON });
    expect(await grantRow(handle.db, row.id)).toMatchObject({ remaining: 100, clawback_units: 0 });
    // An older view (still open, re-fetched before the win) applied after it changes nothing.
    expect(await applyPackDispute(handle.db, { paymentIntentId: 'pi_seen_won', ...OPEN })).toMatchObject({
      removedNow: 0,
      amountDisputedCents: 0,
      amountDisputeWonCents: 1000,
    });
    expect(await grantRow(handle.db, row.id)).toMatchObject({ remaining: 100, clawback_units: 0 });
  });

  it('open then lost, delivered twice and in reverse: the same 100 units', async () => {
    const views = [OPEN, LOST];
    const forward = await pack('pi_forward', 10);
    for (const view of [...views, ...views]) {
      await applyPackDispute(handle.db, { paymentIntentId: 'pi_forward', ...view });
    }
    const reverse = await pack('pi_reverse', 10);
    for (const view of [...views].reverse()) {
      await applyPackDispute(handle.db, { paymentIntentId: 'pi_reverse', ...view });
    }
    for (const row of [forward, reverse]) {
      expect(await grantRow(handle.db, row.id)).toMatchObject({
        remaining: 0,
        clawback_units: 100,
        clawed_back_units: 90,
      });
    }
  });

  it('a refund and a dispute add up, never beyond the pack; either order', async () => {
    const first = await pack('pi_refund_first');
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_refund_first', amountRefundedCents: 300 });
    expect(await grantRow(handle.db, first.id)).toMatchObject({ clawback_units: 30 });
    // The cardholder disputes what was not refunded: everything is back with them.
    await applyPackDispute(handle.db, {
      paymentIntentId: 'pi_refund_first',
      amountDisputedCents: 700,
      amountDisputeWonCents: 0,
    });
    // A redelivered refund keeps the dispute's share.
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_refund_first', amountRefundedCents: 300 });
    expect(await grantRow(handle.db, first.id)).toMatchObject({ remaining: 0, clawback_units: 100 });

    const second = await pack('pi_dispute_first');
    await applyPackDispute(handle.db, {
      paymentIntentId: 'pi_dispute_first',
      amountDisputedCents: 1000,
      amountDisputeWonCents: 0,
    });
    await applyPackRefund(handle.db, { paymentIntentId: 'pi_dispute_first', amountRefundedCents: 300 });
    expect(await grantRow(handle.db, second.id)).toMatchObject({ remaining: 0, clawback_units: 100 });
    expect(await amountsOf(second.id)).toEqual({ refunded: 300, disputed: 1000, won: 0 });
  });

  it('part of the charge disputed: ⌈100 × 333 ÷ 1000⌉ = 34 units', async () => {
    const row = await pack('pi_part');
    await applyPackDispute(handle.db, {
      paymentIntentId: 'pi_part',
      amountDisputedCents: 333,
      amountDisputeWonCents: 0,
    });
    expect(await grantRow(handle.db, row.id)).toMatchObject({ remaining: 66, clawback_units: 34 });
  });

  it('a dispute of a charge that paid no pack changes nothing', async () => {
    expect(await applyPackDispute(handle.db, { paymentIntentId: 'pi_subscription', ...OPEN })).toBeNull();
  });
});
