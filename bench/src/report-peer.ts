import { medianOf } from './median';
import type { LuaTotals } from './redis-lua-authorize';
import type { LuaExactness } from './redis-lua-exactness';
import { count, ok, rate, roundsNote, type Row } from './report-format';
import type { LoopResult } from './closed-loop';

/** The Redis Lua peer of a bench run, or why it was skipped (no Redis is not a failure). */
export type PeerResult =
  | { skipped: string }
  | { url: string; persistence: string | null; totals: LuaTotals; exactness: LuaExactness };

const FIGURE =
  'Peer design (Autumn): Tollgate grouped authorize ÷ one Redis Lua script per run (check-and-decrement + ledger append), 1,000 tenants';
const TARGET = '≥ 0.5';

/** One round: Tollgate's grouped authorize, then the Lua script, same callers and tenants, back to back. */
export interface PeerRound {
  grouped: LoopResult;
  lua: LoopResult | null;
}

const roundRatio = (r: PeerRound) => (r.lua ? r.grouped.perSecond / r.lua.perSecond : Number.NaN);

export function peerRow(rounds: readonly PeerRound[], peer: PeerResult): Row {
  if ('skipped' in peer) {
    return {
      figure: FIGURE,
      measured: 'skipped',
      baseline: peer.skipped,
      ratio: '—',
      target: TARGET,
      isMet: '—',
    };
  }
  const ratio = medianOf(rounds, roundRatio);
  return {
    figure: FIGURE,
    measured: rate(medianOf(rounds, (r) => r.grouped.perSecond)),
    baseline: `${rate(medianOf(rounds, (r) => r.lua?.perSecond ?? Number.NaN))} Redis Lua (kept in memory only)`,
    ratio: `${ratio.toFixed(2)}`,
    target: TARGET,
    isMet: ratio >= 0.5,
  };
}

export function peerExactnessLines(peer: PeerResult): string[] {
  if ('skipped' in peer) return [`**SKIPPED** Redis Lua peer: ${peer.skipped}.`];
  const { totals: t, exactness: e } = peer;
  return [
    `${ok(t.isExact)} Redis Lua throughput runs, 1,000 tenants: ${count(t.demand)} run ids asked, ${count(t.admitted)} admitted = min(demand, allowance) per tenant, ledger ${count(t.ledger)} entries; tenants where admitted, ledger or remaining disagree: ${t.mismatched}; failed calls ${t.failures}.`,
    `${ok(e.isExact)} Redis Lua limits hit under load (${e.tenants} tenants × allowance ${e.allowance}, ${count(e.calls)} calls at 512 in flight, each run id twice): ${e.admitted} admitted, ${e.replays} replays, ${e.refused} refused; ledger ${e.ledger} = admitted; tenants where admitted ≠ min(distinct run ids, allowance) or ledger/remaining disagree: ${e.mismatched}; sending every run id again admitted ${e.admittedOnReplayPass}; failed calls ${e.failures}.`,
  ];
}

export function peerDetail(rounds: readonly PeerRound[], peer: PeerResult): string {
  if ('skipped' in peer) return `Redis Lua peer: skipped (${peer.skipped}).`;
  const lua = rounds.flatMap((r) => (r.lua ? [r.lua] : []));
  return (
    `Redis Lua peer (Autumn's design): ${peer.url}${peer.persistence ? ` (${peer.persistence})` : ''}; ` +
    `one ioredis connection from this Node process (the client, not Redis, is the limit here: a C client reaches far more Lua calls/s), the script loaded once and called by EVALSHA — refuse a known run id (HEXISTS), check remaining ≥ 1, DECRBY, HSET the run id, XADD a ledger entry — ` +
    `by the same 512 callers over the same 1,000 tenants as the grouped figure, right after it in each round, 4 s after a 0.3 s warm-up. ` +
    `Redis Lua per round ${roundsNote(
      lua.map((r) => r.perSecond),
      (v) => rate(v),
    )}; Tollgate grouped ÷ Redis Lua per round ${roundsNote(rounds.map(roundRatio), (v) => v.toFixed(2))} (median reported). ` +
    'Tollgate commits every run durably in PostgreSQL (a ledger row and a counter, fsync at commit); the Redis here keeps nothing on disk.'
  );
}
