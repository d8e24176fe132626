import { toTollgateError, type RouterInputs, type RouterOutputs } from '@tollgate/sdk';
import type { Api } from '../../lib/api';

/** billing.spendSettings as it crosses the wire: dates are ISO strings (no transformer). */
export type SpendOverview = RouterOutputs['billing']['spendSettings'];
export type SpendCap = NonNullable<SpendOverview['cap']>;
export type AutoTopUpSettings = SpendOverview['autoTopUp'];
/** What an owner or admin changes: each field left out stays as it is; null clears it. */
export type SpendSettingsChange = RouterInputs['billing']['updateSpendSettings'];
export type AutoTopUpChange = NonNullable<SpendSettingsChange['autoTopUp']>;

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toTollgateError(error);
  }
}

/** Overage past the plan, the spend caps and auto top-up of the active account. */
export function createSpendApi({ client }: Api) {
  const { billing } = client.trpc;
  return {
    settings: (): Promise<SpendOverview> => call(billing.spendSettings.query()),
    /** Owners and admins only (FORBIDDEN otherwise); answers the whole overview as stored. */
    update: (change: SpendSettingsChange): Promise<SpendOverview> =>
      call(billing.updateSpendSettings.mutate(change)),
  };
}

export type SpendApi = ReturnType<typeof createSpendApi>;
