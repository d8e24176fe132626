import { describe, expect, it } from 'vitest';
import { forEachAccountPage } from './account-pages';

/** A listing in account order, and the `after` each page was asked from. */
function listing(accountIds: string[]) {
  const asked: Array<string | null> = [];
  const listPage = async (after: string | null, limit: number) => {
    asked.push(after);
    return accountIds
      .filter((accountId) => after === null || accountId > after)
      .slice(0, limit)
      .map((accountId) => ({ accountId }));
  };
  return { asked, listPage };
}

describe('forEachAccountPage', () => {
  it('visits every row once, in order, each page after the last account of the previous one', async () => {
    const { asked, listPage } = listing(['a', 'b', 'c', 'd', 'e']);
    const visited: string[] = [];
    await forEachAccountPage(2, listPage, async (row) => void visited.push(row.accountId));
    expect(visited).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(asked).toEqual([null, 'b', 'd']);
  });

  it('asks once more after a full last page, and stops at the empty one', async () => {
    const { asked, listPage } = listing(['a', 'b', 'c', 'd']);
    const visited: string[] = [];
    await forEachAccountPage(2, listPage, async (row) => void visited.push(row.accountId));
    expect(visited).toEqual(['a', 'b', 'c', 'd']);
    expect(asked).toEqual([null, 'b', 'd']);
  });

  it('ends the walk on an error the visit throws', async () => {
    const { listPage } = listing(['a', 'b', 'c']);
    const visited: string[] = [];
    const walk = forEachAccountPage(1, listPage, async (row) => {
      if (row.accountId === 'b') throw new Error('b failed');
      visited.push(row.accountId);
    });
    await expect(walk).rejects.toThrow('b failed');
    expect(visited).toEqual(['a']);
  });
});
