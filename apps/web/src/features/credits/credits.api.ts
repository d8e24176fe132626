import { toTollgateError, type RouterOutputs } from '@tollgate/sdk';
import type { Api } from '../../lib/api';

/** usage.balance as it crosses the wire: dates are ISO strings (no transformer). */
export type CreditBalance = RouterOutputs['usage']['balance'];
export type CreditGrant = CreditBalance['grants'][number];

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toTollgateError(error);
  }
}

/** The account's balance: the plan's allowance and every pack or grant, in the order runs draw them. */
export function createCreditsApi({ client }: Api) {
  const { usage } = client.trpc;
  return {
    balance: (): Promise<CreditBalance> => call(usage.balance.query()),
  };
}

export type CreditsApi = ReturnType<typeof createCreditsApi>;
