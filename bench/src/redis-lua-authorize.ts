import type { Redis } from 'ioredis';
import { runClosedLoop, type LoopResult } from './closed-loop';
import {
  connectRedis,
  loadAuthorizer,
  persistenceOf,
  tenantKeys,
  type LuaAuthorizer,
  type TenantKeys,
} from './redis-lua-script';

export interface LuaRun extends LoopResult {
  admitted: number;
  refused: number;
  replays: number;
}

/** Every throughput run of one peer, checked per tenant against what Redis holds afterwards. */
export interface LuaTotals {
  tenants: number;
  /** Distinct run ids answered (each asked once in the throughput runs). */
  demand: number;
  admitted: number;
  ledger: number;
  /** Tenants where admitted ≠ min(demand, allowance), ledger ≠ admitted or remaining ≠ allowance − admitted. */
  mismatched: number;
  /** Calls that threw (their outcome unknown): must be 0. */
  failures: number;
  isExact: boolean;
}

export interface RedisPeer {
  url: string;
  persistence: string | null;
  authorizer: LuaAuthorizer;
  /** Seeds `tenants` with `allowance` runs each under this peer's namespace; returns their keys. */
  seed(tenants: readonly string[], allowance: number): Promise<TenantKeys[]>;
  /** Same load shape as measureAuthorize: closed loop, round robin over the tenants, a new run id each. */
  measure(load: { tag: string; concurrency: number; durationMs: number }): Promise<LuaRun>;
  totals(): Promise<LuaTotals>;
  /** Deletes every key this peer wrote (the Redis is shared: never FLUSHALL). */
  close(): Promise<void>;
}

/**
 * The Redis Lua peer over `tenants` (the same user ids as the grouped service figure), each with
 * `allowance` runs, or why it is skipped. Keys live under a namespace of their own, deleted on close.
 */
export async function openRedisPeer(
  tenants: readonly string[],
  allowance: number,
): Promise<RedisPeer | { skipped: string }> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const connection = await connectRedis(url);
  if ('skipped' in connection) return connection;
  const { redis } = connection;
  const namespace = `tollgate-bench:${process.pid}-${Date.now()}`;
  const authorizer = await loadAuthorizer(redis);
  const seed = async (ids: readonly string[], units: number) => {
    const keys = ids.map((id) => tenantKeys(namespace, id));
    const pipeline = redis.pipeline();
    for (const k of keys) pipeline.set(k.remaining, units);
    await pipeline.exec();
    return keys;
  };
  const keys = await seed(tenants, allowance);
  const demand = new Array<number>(keys.length).fill(0);
  const admitted = new Array<number>(keys.length).fill(0);
  let failures = 0;

  return {
    url,
    persistence: await persistenceOf(redis),
    authorizer,
    seed,
    async measure(load) {
      const counts = { admitted: 0, refused: 0, replays: 0 };
      const result = await runClosedLoop(
        async (n) => {
          const index = n % keys.length;
          const tenant = keys[index];
          if (!tenant) throw new Error('no tenant keys');
          const answer = await authorizer.authorize(tenant, `${load.tag}-${n}`);
          demand[index] = (demand[index] ?? 0) + 1;
          if (answer === 'admitted') admitted[index] = (admitted[index] ?? 0) + 1;
          counts[answer === 'admitted' ? 'admitted' : answer === 'refused' ? 'refused' : 'replays'] += 1;
        },
        { concurrency: load.concurrency, durationMs: load.durationMs, warmupMs: 300 },
        () => (failures += 1),
      );
      return { ...result, ...counts };
    },
    async totals() {
      const held = await readTenants(redis, keys);
      let mismatched = 0;
      held.forEach((h, i) => {
        const asked = demand[i] ?? 0;
        const got = admitted[i] ?? 0;
        const isRight =
          got === Math.min(asked, allowance) &&
          h.ledger === got &&
          h.runIds === got &&
          h.remaining === allowance - got;
        if (!isRight) mismatched += 1;
      });
      const sum = (list: readonly number[]) => list.reduce((a, b) => a + b, 0);
      return {
        tenants: keys.length,
        demand: sum(demand),
        admitted: sum(admitted),
        ledger: sum(held.map((h) => h.ledger)),
        mismatched,
        failures,
        isExact: mismatched === 0 && failures === 0,
      };
    },
    async close() {
      await deleteNamespace(redis, namespace);
      redis.disconnect();
    },
  };
}

/** Remaining allowance, ledger length and stored run ids of each tenant, in one round trip. */
export async function readTenants(redis: Redis, keys: readonly TenantKeys[]) {
  const pipeline = redis.pipeline();
  for (const k of keys) pipeline.get(k.remaining).xlen(k.ledger).hlen(k.runs);
  const replies = (await pipeline.exec()) ?? [];
  const value = (i: number) => Number(replies[i]?.[1] ?? Number.NaN);
  return keys.map((_, t) => ({
    remaining: value(3 * t),
    ledger: value(3 * t + 1),
    runIds: value(3 * t + 2),
  }));
}

async function deleteNamespace(redis: Redis, namespace: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
    if (found.length > 0) await redis.unlink(...found);
    cursor = next;
  } while (cursor !== '0');
}
