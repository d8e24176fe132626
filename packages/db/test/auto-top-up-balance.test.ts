import { describe, expect, it } from 'vitest';
import { insertOperatorGrant, readAutoTopUpBalance, reserveRuns, startAutoTopUp } from '../src';
import { makeUser, useTestDb } from './fixtures';
import { setSpend } from './overage-helpers';
import { NOW, PERIOD, runOf } from './reservation-helpers';

// What a settle's overrun reads to observe the balance for auto top-up: the threshold and the balance
// `startAutoTopUp` compares with it, or nothing when auto top-up is off.

const handle = useTestDb();
const MONTH = new Date('2025-03-01T00:00:00Z');
const read = (accountId: string) =>
  readAutoTopUpBalance(handle.db, { accountId, periodStart: PERIOD.start, now: NOW });

describe('readAutoTopUpBalance', () => {
  it('the allowance left plus the spendable grants, with the threshold; null while auto top-up is off', async () => {
    const user = await makeUser(handle.db);
    // An allowance of 10 with 8 used: 2 left.
    await reserveRuns(
      handle.db,
      Array.from({ length: 8 }, (_, i) => runOf(user.owner, `r${i}`, 10)),
    );
    expect(await read(user.accountId)).toBeNull();
    await setSpend(handle.db, user.accountId, {
      autoTopUp: { threshold: 5, packId: 'PACK_100', monthlyLimit: 3 },
    });
    expect(await read(user.accountId)).toEqual({ threshold: 5, balance: 2 });
    await insertOperatorGrant(handle.db, {
      accountId: user.accountId,
      units: 4,
      expiresAt: null,
      reason: 'test',
      grantedBy: 'cli:test',
      startsAt: new Date(NOW.getTime() - 1000),
    });
    expect(await read(user.accountId)).toEqual({ threshold: 5, balance: 6 });
    // The same balance startAutoTopUp compares: 6 is not below 5, so nothing starts.
    expect(
      await startAutoTopUp(handle.db, {
        accountId: user.accountId,
        periodStart: PERIOD.start,
        now: NOW,
        monthStart: MONTH,
      }),
    ).toBeNull();
    await setSpend(handle.db, user.accountId, { autoTopUp: null });
    expect(await read(user.accountId)).toBeNull();
  });
});
