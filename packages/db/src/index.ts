export {
  LEASE_CHECK_TIMEOUT_MS,
  tryAdvisoryLock,
  type AdvisoryLease,
  type AdvisoryLockOptions,
} from './advisory-lock';
export { createDb } from './client';
export type { CreateDbOptions, DbDriver, DbHandle } from './client';
export { isDatabaseUnavailable } from './connection-errors';
export { DataDirLockedError } from './pglite-lock';
export type { Database, Transaction } from './database';
export {
  isTransactionConflict,
  isUniqueViolation,
  pgErrorCode,
  PG_CHECK_VIOLATION,
  PG_FOREIGN_KEY_VIOLATION,
  PG_UNIQUE_VIOLATION,
} from './errors';
export { isUuid } from './ids';
export { MIGRATIONS_FOLDER } from './migrate';
export { personalAccountId } from './personal-account-id';
export { postgresPoolOf } from './postgres-pool';
export { queryPreparedRows, queryRows } from './raw-query';
export * from './repositories';
export * from './schema';
