/**
 * Lets only the newest answer write state. A request takes a ticket with `begin()`; its answer may
 * write only while `isLatest(ticket)` holds. A request begun after it, or a change the server took
 * since (`supersede()`), makes the ticket stale: its answer describes something the page has moved
 * past (another session or team, the settings before a save), and writing it would put that back.
 */
export function createLatestOnly() {
  let latest = 0;
  return {
    begin(): number {
      latest += 1;
      return latest;
    },
    supersede(): void {
      latest += 1;
    },
    isLatest(ticket: number): boolean {
      return ticket === latest;
    },
  };
}
