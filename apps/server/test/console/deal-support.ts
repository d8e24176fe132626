import { startBillingTestServer, type BillingTestServer } from '../support/billing-server';
import { trpc, type TrpcResult } from '../support/http';
import { registerOperator } from '../support/operators';

/** A server on the Stripe emulator with an operator signed in: what the ENTERPRISE deal tests sell with. */
export interface DealDesk {
  billing: BillingTestServer;
  operatorToken: string;
  /** `admin.createEnterpriseDeal` as the operator (or as `token`), the answer as it came. */
  // The answers' shapes are the tests' to read, as with trpc() itself.
  sell(input: Record<string, unknown>, token?: string): Promise<TrpcResult<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function openDealDesk(): Promise<DealDesk> {
  const billing = await startBillingTestServer();
  const operatorToken = (await registerOperator(billing.server)).accessToken;
  return {
    billing,
    operatorToken,
    sell: (input, token = operatorToken) =>
      trpc(billing.server.url, 'mutation', 'admin.createEnterpriseDeal', input, token),
  };
}

/** A deal billed by invoice (net 30), `extra` on top. */
export function invoicedDeal(accountId: string, extra: Record<string, unknown> = {}) {
  return {
    accountId,
    runLimit: 3000,
    priceCents: 100_000,
    interval: 'month',
    collection: 'send_invoice',
    daysUntilDue: 30,
    reason: 'signed order form',
    ...extra,
  };
}
