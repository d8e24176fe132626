/**
 * Who a session or agent run belongs to: the account whose pool pays for its runs and the member who
 * made it. Sessions are private to their member inside the account, so both are in every filter.
 */
export interface SessionOwner {
  accountId: string;
  userId: string;
}
