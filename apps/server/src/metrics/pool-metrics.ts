import { postgresPoolOf, type Database } from '@tollgate/db';
import { Gauge, type Registry } from 'prom-client';

/**
 * The node-postgres pool's connections (total, idle, and requests waiting for one), read at scrape
 * time. On the embedded PGlite there is no pool: the family is exported without samples.
 */
export function registerPoolMetrics(registry: Registry, db: Database): void {
  const pool = postgresPoolOf(db);
  new Gauge({
    name: 'tollgate_db_pool_connections',
    help: 'PostgreSQL pool connections by state: total (open), idle, waiting (requests queued for one)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      if (!pool) return;
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  new Gauge({
    name: 'tollgate_db_pool_max',
    help: 'The most connections the PostgreSQL pool opens',
    registers: [registry],
    collect() {
      if (pool) this.set(pool.options.max ?? 10);
    },
  });
}
