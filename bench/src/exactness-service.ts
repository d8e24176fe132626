import type { Services } from '@tollgate/api';
import { AppError } from '@tollgate/domain';
import { runClosedLoop } from './closed-loop';
import { BENCH_SERVICE } from './service-authorize';
import { personalTenant, seedTenants, usageTotals, type UsageTotals } from './tenants';

export interface ServiceExactness {
  tenants: number;
  limit: number;
  calls: number;
  consumed: number;
  replays: number;
  denied: number;
  otherErrors: number;
  totals: UsageTotals;
  /** A second pass over every run id already sent: answers that consumed anything (must be 0). */
  consumedOnReplayPass: number;
  totalsAfterReplayPass: UsageTotals;
  isExact: boolean;
}

const TENANTS = 300;
const LIMIT = 15;

/**
 * Loaded at full concurrency through the grouped path, with limits that are hit during the run and
 * every run id sent twice back to back (so often twice in one group): no account may pass its limit,
 * ledger rows must equal counters and the consumed answers, and sending everything again must consume
 * nothing.
 */
export async function checkServiceExactness(
  services: Services,
  seed: Parameters<typeof seedTenants>[0],
  durationMs: number,
): Promise<ServiceExactness> {
  const ids = await seedTenants(seed, 'cap', TENANTS, LIMIT);
  const sent: Array<[string, string]> = [];
  let consumed = 0;
  let replays = 0;
  let denied = 0;
  let otherErrors = 0;
  const callOf = (n: number): [string, string] => {
    const k = Math.floor(n / 2);
    return [ids[k % TENANTS] ?? '', `cap-${Math.floor(k / TENANTS)}`];
  };
  const classify = (error: unknown) => {
    if (error instanceof AppError && error.code === 'PAYMENT_REQUIRED') denied += 1;
    else otherErrors += 1;
  };
  const loop = await runClosedLoop(
    async (n) => {
      const [userId, runId] = callOf(n);
      if (n % 2 === 0) sent.push([userId, runId]);
      const answer = await services.usage.authorize(BENCH_SERVICE, personalTenant(userId), runId);
      if (answer.isReplay) replays += 1;
      else consumed += 1;
    },
    { concurrency: 512, durationMs },
    classify,
  );
  const totals = await usageTotals(seed, 'cap');

  let consumedOnReplayPass = 0;
  await Promise.all(
    sent.map(([userId, runId]) =>
      services.usage.authorize(BENCH_SERVICE, personalTenant(userId), runId).then(
        (answer) => {
          if (!answer.isReplay) consumedOnReplayPass += 1;
        },
        () => undefined,
      ),
    ),
  );
  const totalsAfterReplayPass = await usageTotals(seed, 'cap');
  const isExact =
    otherErrors === 0 &&
    totals.overLimit === 0 &&
    totals.mismatched === 0 &&
    totals.ledger === consumed &&
    consumedOnReplayPass === 0 &&
    totalsAfterReplayPass.used === totals.used &&
    totalsAfterReplayPass.ledger === totals.ledger;
  return {
    tenants: TENANTS,
    limit: LIMIT,
    calls: loop.operations + loop.failures,
    consumed,
    replays,
    denied,
    otherErrors,
    totals,
    consumedOnReplayPass,
    totalsAfterReplayPass,
    isExact,
  };
}
