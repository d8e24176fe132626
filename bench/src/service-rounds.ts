import type { Services } from '@tollgate/api';
import { inRounds } from './median';
import type { LuaRun, RedisPeer } from './redis-lua-authorize';
import type { PeerRound } from './report-peer';
import { measureAuthorize, type AuthorizeRun } from './service-authorize';

/** One round of the service-level figures: each grouped figure right after its baseline. */
export interface ServiceRound {
  tenantsSingle: AuthorizeRun;
  tenantsBatched: AuthorizeRun;
  /** The Redis Lua peer on the same 1,000 tenants, right after the grouped figure (null: skipped). */
  redisLua: LuaRun | null;
  hotSingle: AuthorizeRun;
  hotBatched: AuthorizeRun;
  /** 1,000 tenants whose runs draw a 5-run allowance, then the sooner of two packs. */
  packsSingle: AuthorizeRun;
  packsBatched: AuthorizeRun;
}

export interface ServiceRoundsInput {
  /** AUTHORIZE_BATCH_WINDOW_MS=0 (one transaction per run) and the grouped server, on one pool. */
  single: Services;
  batched: Services;
  tenants: readonly string[];
  hot: readonly string[];
  packs: readonly string[];
  peer: RedisPeer | null;
  load: { concurrency: number; durationMs: number };
}

/**
 * The service-level figures `rounds` times. Every round uses run ids of its own (the round number in
 * the tag), so the counters and ledgers keep adding up across rounds for the exactness checks.
 */
export function measureServiceRounds(input: ServiceRoundsInput, rounds: number): Promise<ServiceRound[]> {
  const { single, batched, load, peer } = input;
  return inRounds(rounds, async (round) => {
    const on = (services: Services, tenants: readonly string[], tag: string) =>
      measureAuthorize(services, { ...load, tenants, tag: `${tag}${round}` });
    const tenantsSingle = await on(single, input.tenants, 'ts');
    const tenantsBatched = await on(batched, input.tenants, 'tb');
    const redisLua = peer ? await peer.measure({ ...load, tag: `rl${round}` }) : null;
    return {
      tenantsSingle,
      tenantsBatched,
      redisLua,
      hotSingle: await on(single, input.hot, 'hs'),
      hotBatched: await on(batched, input.hot, 'hb'),
      packsSingle: await on(single, input.packs, 'ps'),
      packsBatched: await on(batched, input.packs, 'pb'),
    };
  });
}

/** The peer comparison's view of the rounds: the grouped 1,000-tenant figure and the Lua one after it. */
export function peerRounds(rounds: readonly ServiceRound[]): PeerRound[] {
  return rounds.map((r) => ({ grouped: r.tenantsBatched, lua: r.redisLua }));
}
