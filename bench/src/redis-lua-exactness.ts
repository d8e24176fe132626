import { runClosedLoop } from './closed-loop';
import { readTenants, type RedisPeer } from './redis-lua-authorize';
import type { PeerResult } from './report-peer';

export interface LuaExactness {
  tenants: number;
  allowance: number;
  calls: number;
  admitted: number;
  replays: number;
  refused: number;
  failures: number;
  ledger: number;
  /** Tenants where admitted ≠ min(distinct run ids, allowance), or ledger / remaining disagree. */
  mismatched: number;
  /** Every run id sent once more afterwards: answers that admitted anything (must be 0). */
  admittedOnReplayPass: number;
  isExact: boolean;
}

const TENANTS = 300;
const ALLOWANCE = 15;

/**
 * The Redis twin of checkServiceExactness: 512 calls in flight, allowances spent during the run, every
 * run id sent twice back to back. Per tenant, admitted must be min(distinct run ids, allowance), the
 * ledger as long as that and the remaining allowance what is left; sending every run id again must
 * admit nothing.
 */
export async function checkLuaExactness(peer: RedisPeer, durationMs: number): Promise<LuaExactness> {
  const ids = Array.from({ length: TENANTS }, (_, i) => `cap-${i}`);
  const keys = await peer.seed(ids, ALLOWANCE);
  const asked = ids.map(() => new Set<string>());
  const got = new Array<number>(TENANTS).fill(0);
  const counts = { admitted: 0, replays: 0, refused: 0, failures: 0 };
  const callOf = (n: number) => {
    const k = Math.floor(n / 2);
    return { index: k % TENANTS, runId: `cap-${Math.floor(k / TENANTS)}` };
  };
  const loop = await runClosedLoop(
    async (n) => {
      const { index, runId } = callOf(n);
      const tenant = keys[index];
      if (!tenant) throw new Error('no tenant keys');
      const answer = await peer.authorizer.authorize(tenant, runId);
      asked[index]?.add(runId);
      if (answer === 'admitted') got[index] = (got[index] ?? 0) + 1;
      counts[answer === 'admitted' ? 'admitted' : answer === 'replay' ? 'replays' : 'refused'] += 1;
    },
    { concurrency: 512, durationMs },
    () => (counts.failures += 1),
  );
  const held = await readTenants(peer.authorizer.redis, keys);
  let mismatched = 0;
  held.forEach((h, i) => {
    const admitted = got[i] ?? 0;
    const isRight =
      admitted === Math.min(asked[i]?.size ?? 0, ALLOWANCE) &&
      h.ledger === admitted &&
      h.runIds === admitted &&
      h.remaining === ALLOWANCE - admitted;
    if (!isRight) mismatched += 1;
  });

  let admittedOnReplayPass = 0;
  await Promise.all(
    asked.flatMap((runIds, index) =>
      [...runIds].map(async (runId) => {
        const tenant = keys[index];
        if (tenant && (await peer.authorizer.authorize(tenant, runId)) === 'admitted') {
          admittedOnReplayPass += 1;
        }
      }),
    ),
  );
  const ledger = held.reduce((sum, h) => sum + h.ledger, 0);
  return {
    tenants: TENANTS,
    allowance: ALLOWANCE,
    calls: loop.operations + loop.failures,
    ...counts,
    ledger,
    mismatched,
    admittedOnReplayPass,
    isExact:
      counts.failures === 0 && mismatched === 0 && ledger === counts.admitted && admittedOnReplayPass === 0,
  };
}

/** What the report says of the peer after its rounds: its totals and exactness, or why it was skipped. */
export async function peerResultOf(peer: RedisPeer | { skipped: string }): Promise<PeerResult> {
  if ('skipped' in peer) return { skipped: peer.skipped };
  return {
    url: peer.url,
    persistence: peer.persistence,
    totals: await peer.totals(),
    exactness: await checkLuaExactness(peer, 3000),
  };
}
