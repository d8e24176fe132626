import { toTollgateError, type RouterInputs, type RouterOutputs } from '@tollgate/sdk';
import type { Api } from '../../lib/api';

type AdminInputs = RouterInputs['admin'];
type AdminOutputs = RouterOutputs['admin'];

/** Instants stay ISO strings here: tRPC sends JSON without a transformer. */
export type CustomerSearch = AdminInputs['customers'];
export type CustomerPage = AdminOutputs['customers'];
export type CustomerRow = CustomerPage['rows'][number];
export type CustomerDetail = AdminOutputs['customer'];
export type TimelineEntry = CustomerDetail['timeline'][number];
export type CustomerGrant = CustomerDetail['balance']['grants'][number];
export type AnalyticsInput = AdminInputs['analytics'];
export type Analytics = AdminOutputs['analytics'];
export type AuditQuery = NonNullable<AdminInputs['auditLog']>;
export type AuditRow = AdminOutputs['auditLog'][number];

// What each console action sends, the account id aside (the page adds the one it shows).
type WithoutAccount<T> = Omit<T, 'accountId'>;
export type GrantRunsInput = WithoutAccount<AdminInputs['grantCredits']>;
export type RevokeGrantInput = WithoutAccount<AdminInputs['revokeCredits']>;
export type RunLimitInput = WithoutAccount<AdminInputs['setRunLimit']>;
export type CompInput = WithoutAccount<AdminInputs['compAccount']>;
export type TrialInput = WithoutAccount<AdminInputs['setTrial']>;
export type EnterpriseDealInput = WithoutAccount<AdminInputs['createEnterpriseDeal']>;
export type EnterpriseDeal = AdminOutputs['createEnterpriseDeal'];
export type ResyncInput = WithoutAccount<AdminInputs['resync']>;
export type CancelInput = WithoutAccount<AdminInputs['cancelSubscription']>;
export type SpendCapInput = WithoutAccount<AdminInputs['setSpendCap']>;

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw toTollgateError(error);
  }
}

/**
 * admin.* over tRPC, for platform staff. Reads are open to operators and support; most changes are
 * operators' only (anyone else gets 403, whatever the page offered).
 */
export function createConsoleApi({ client }: Api) {
  const { admin } = client.trpc;
  const on = (accountId: string) => ({ accountId });
  return {
    customers: (search: CustomerSearch): Promise<CustomerPage> => call(admin.customers.query(search)),
    customer: (accountId: string): Promise<CustomerDetail> => call(admin.customer.query(on(accountId))),
    analytics: (input: AnalyticsInput): Promise<Analytics> => call(admin.analytics.query(input)),
    auditLog: (query: AuditQuery): Promise<AuditRow[]> => call(admin.auditLog.query(query)),
    async grantRuns(accountId: string, input: GrantRunsInput): Promise<void> {
      await call(admin.grantCredits.mutate({ ...on(accountId), ...input }));
    },
    async revokeGrant(accountId: string, input: RevokeGrantInput): Promise<void> {
      await call(admin.revokeCredits.mutate({ ...on(accountId), ...input }));
    },
    async setRunLimit(accountId: string, input: RunLimitInput): Promise<void> {
      await call(admin.setRunLimit.mutate({ ...on(accountId), ...input }));
    },
    async comp(accountId: string, input: CompInput): Promise<void> {
      await call(admin.compAccount.mutate({ ...on(accountId), ...input }));
    },
    async setTrial(accountId: string, input: TrialInput): Promise<void> {
      await call(admin.setTrial.mutate({ ...on(accountId), ...input }));
    },
    createEnterpriseDeal: (accountId: string, input: EnterpriseDealInput): Promise<EnterpriseDeal> =>
      call(admin.createEnterpriseDeal.mutate({ ...on(accountId), ...input })),
    async setSpendCap(accountId: string, input: SpendCapInput): Promise<void> {
      await call(admin.setSpendCap.mutate({ ...on(accountId), ...input }));
    },
    async resync(accountId: string, input: ResyncInput): Promise<void> {
      await call(admin.resync.mutate({ ...on(accountId), ...input }));
    },
    async cancel(accountId: string, input: CancelInput): Promise<void> {
      await call(admin.cancelSubscription.mutate({ ...on(accountId), ...input }));
    },
  };
}

export type ConsoleApi = ReturnType<typeof createConsoleApi>;
