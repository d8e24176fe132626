import { toTollgateError } from '@tollgate/sdk';
import { errorMessage } from '../../lib/error-message';
import { DONE, failed, type ActionResult } from './action-result';
import type {
  CancelInput,
  CompInput,
  ConsoleApi,
  EnterpriseDealInput,
  GrantRunsInput,
  ResyncInput,
  RevokeGrantInput,
  RunLimitInput,
  SpendCapInput,
  TrialInput,
} from './console.api';

/**
 * The customer page's changes. Each one, once the server accepted it, reloads the page's detail: the
 * timeline then shows the audit row the change wrote, and every figure is the server's again.
 */
export function useCustomerActions(api: ConsoleApi, accountId: () => string, reload: () => Promise<void>) {
  async function perform(change: (id: string) => Promise<unknown>): Promise<ActionResult> {
    try {
      await change(accountId());
    } catch (failure) {
      const status = toTollgateError(failure).httpStatus;
      // A 429 refused nothing: the same request may come again (the server was busy with it).
      const isRefused = status !== null && status >= 400 && status < 500 && status !== 429;
      return failed(errorMessage(failure), isRefused);
    }
    await reload();
    return DONE;
  }

  return {
    grantRuns: (input: GrantRunsInput) => perform((id) => api.grantRuns(id, input)),
    revokeGrant: (input: RevokeGrantInput) => perform((id) => api.revokeGrant(id, input)),
    setRunLimit: (input: RunLimitInput) => perform((id) => api.setRunLimit(id, input)),
    comp: (input: CompInput) => perform((id) => api.comp(id, input)),
    setTrial: (input: TrialInput) => perform((id) => api.setTrial(id, input)),
    setSpendCap: (input: SpendCapInput) => perform((id) => api.setSpendCap(id, input)),
    async createEnterpriseDeal(input: EnterpriseDealInput): Promise<ActionResult> {
      let link: string | null = null;
      const result = await perform(async (id) => {
        link = (await api.createEnterpriseDeal(id, input)).hostedInvoiceUrl;
      });
      // Billed by invoice: the first invoice's page, to send the customer.
      return result.isDone ? { isDone: true, link } : result;
    },
    resync: (input: ResyncInput) => perform((id) => api.resync(id, input)),
    cancel: (input: CancelInput) => perform((id) => api.cancel(id, input)),
  };
}

export type CustomerActions = ReturnType<typeof useCustomerActions>;
