import { Redis } from 'ioredis';

/**
 * A peer's design for comparison (issue 20): Autumn keeps balances in Redis and deducts them in one Lua
 * script, atomic because Redis runs a script alone — the idempotency key checked first (EXISTS), the
 * balance checked and decremented, the key set after the deduction, every key declared in KEYS so a
 * cluster can route it. This is our own small script in that design, doing the work Tollgate's
 * authorize does for one run: refuse a run id seen before (answer a replay), check remaining ≥ units,
 * decrement, append a ledger entry. Nothing is written for a refusal, as Tollgate stores no run for a
 * 402 (the same run id may be admitted after an upgrade).
 *
 * KEYS[1] remaining allowance (string integer), KEYS[2] the tenant's run ids (hash run id → units),
 * KEYS[3] the tenant's ledger (stream). ARGV[1] units, ARGV[2] run id.
 * Returns 1 admitted, 0 refused (allowance spent), 2 replay (run id already admitted).
 */
const AUTHORIZE_RUN_LUA = `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 2 end
local units = tonumber(ARGV[1])
local remaining = tonumber(redis.call('GET', KEYS[1]) or '0')
if remaining < units then return 0 end
redis.call('DECRBY', KEYS[1], units)
redis.call('HSET', KEYS[2], ARGV[2], units)
redis.call('XADD', KEYS[3], '*', 'run', ARGV[2], 'units', units)
return 1
`;

export type LuaAnswer = 'admitted' | 'refused' | 'replay';

/** The keys of one tenant; the `{…}` hash tag keeps them in one cluster slot, as a script needs. */
export interface TenantKeys {
  remaining: string;
  runs: string;
  ledger: string;
}

export function tenantKeys(namespace: string, tenant: string): TenantKeys {
  const slot = `${namespace}:{${tenant}}`;
  return { remaining: `${slot}:remaining`, runs: `${slot}:runs`, ledger: `${slot}:ledger` };
}

export interface LuaAuthorizer {
  redis: Redis;
  authorize(keys: TenantKeys, runId: string, units?: number): Promise<LuaAnswer>;
}

/** Loads the script once (SCRIPT LOAD) and calls it by its SHA (EVALSHA), as a production client would. */
export async function loadAuthorizer(redis: Redis): Promise<LuaAuthorizer> {
  const sha = String(await redis.script('LOAD', AUTHORIZE_RUN_LUA));
  return {
    redis,
    async authorize(keys, runId, units = 1) {
      const answer = await redis.evalsha(sha, 3, keys.remaining, keys.runs, keys.ledger, units, runId);
      return answer === 1 ? 'admitted' : answer === 2 ? 'replay' : 'refused';
    },
  };
}

/**
 * One connection to REDIS_URL (default the local server), or the reason there is none: the comparison
 * is skipped, never failed, on a machine without Redis. No retries and no offline queue, so a missing
 * server answers within the connect timeout instead of queueing commands forever.
 */
export async function connectRedis(
  url = process.env.REDIS_URL || 'redis://127.0.0.1:6379',
): Promise<{ redis: Redis } | { skipped: string }> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // reported by connect() below; an unhandled 'error' would crash
  try {
    await redis.connect();
    await redis.ping();
    return { redis };
  } catch (error) {
    redis.disconnect();
    return { skipped: `no Redis at ${url} (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** What this Redis keeps on disk (CONFIG GET appendonly / save), for the report; null if not allowed. */
export async function persistenceOf(redis: Redis): Promise<string | null> {
  try {
    const appendonly = (await redis.config('GET', 'appendonly')) as string[];
    const save = (await redis.config('GET', 'save')) as string[];
    const config = `appendonly ${appendonly[1] || '?'}, save "${save[1] ?? ''}"`;
    return appendonly[1] === 'no' && !save[1] ? `${config}: nothing kept on disk` : config;
  } catch {
    return null;
  }
}
