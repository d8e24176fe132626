import { toTollgateError } from '@tollgate/sdk';
import type { Api } from '../../lib/api';

/**
 * When the active account's members hear about its usage: at these percents of the period's runs, and
 * when only `runsRemaining` runs are left (null: no such alert).
 */
export interface UsageAlertSettings {
  percents: number[];
  runsRemaining: number | null;
}

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toTollgateError(error);
  }
}

/** usage.alertSettings / setAlertSettings for the active account (the SDK sends its header). */
export function createUsageAlertsApi({ client }: Api) {
  const { usage } = client.trpc;
  return {
    get: (): Promise<UsageAlertSettings> => call(usage.alertSettings.query()),
    /** Owners and admins only: anyone else gets FORBIDDEN. */
    set: (settings: UsageAlertSettings): Promise<UsageAlertSettings> =>
      call(usage.setAlertSettings.mutate(settings)),
  };
}
