import type { Services } from '@tollgate/api';
import type { RunActor } from '@tollgate/db';
import { runClosedLoop, type LoopResult } from './closed-loop';
import { personalTenant, type Tenant } from './tenants';

export interface AuthorizeRun extends LoopResult {
  /** Answers that consumed a run (not replays): what the ledger must have gained. */
  consumed: number;
  /** Mean runs per shared commit (batched only). */
  meanBatch: number | null;
}

export interface AuthorizeLoad {
  /** User ids (their personal accounts) or tenants (e.g. the members of a team account). */
  tenants: readonly (string | Tenant)[];
  /** Distinguishes the run ids of this measurement from every other one. */
  tag: string;
  concurrency: number;
  durationMs: number;
}

/** The bench calls usage.authorize as one service key would. */
export const BENCH_SERVICE: RunActor = { kind: 'service', id: 'bench' };

/** Calls usage.authorize in a closed loop, each call a new run id of the next tenant (round robin). */
export async function measureAuthorize(services: Services, load: AuthorizeLoad): Promise<AuthorizeRun> {
  let consumed = 0;
  const before = services.usage.batchStats();
  const result = await runClosedLoop(
    async (n) => {
      const next = load.tenants[n % load.tenants.length] ?? '';
      const tenant = typeof next === 'string' ? personalTenant(next) : next;
      const answer = await services.usage.authorize(BENCH_SERVICE, tenant, `${load.tag}-${n}`);
      if (!answer.isReplay) consumed += 1;
    },
    { concurrency: load.concurrency, durationMs: load.durationMs, warmupMs: 300 },
  );
  const after = services.usage.batchStats();
  const meanBatch =
    before && after && after.batches > before.batches
      ? (after.items - before.items) / (after.batches - before.batches)
      : null;
  return { ...result, consumed, meanBatch };
}
