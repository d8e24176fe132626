/**
 * Visits every row of a listing kept in account-id order, one page at a time (keyset paging: each page
 * starts after the last account of the previous one). A periodic pass walks all of its accounts this
 * way, so accounts that fail every time can't fill the first page and starve the others. `visit` deals
 * with its row's own failure; an error it throws ends the walk.
 */
export async function forEachAccountPage<Row extends { accountId: string }>(
  pageSize: number,
  listPage: (afterAccountId: string | null, limit: number) => Promise<Row[]>,
  visit: (row: Row) => Promise<void>,
): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const page = await listPage(after, pageSize);
    for (const row of page) await visit(row);
    const last = page.at(-1);
    if (page.length < pageSize || !last) return;
    after = last.accountId;
  }
}
