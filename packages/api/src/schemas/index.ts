// The output schemas of the tRPC procedures: `.output()` validates with them, services infer their
// return types from them, and the OpenAPI document of /api/v1 is written from them.
export * from './account-schemas';
export * from './admin-schemas';
export * from './api-key-schemas';
export * from './billing-schemas';
export * from './error-schemas';
export * from './notification-schemas';
export * from './operator-schemas';
export * from './session-schemas';
export * from './team-schemas';
export * from './usage-schemas';
export * from './balance-schemas';
export { isoDateTime } from './wire-date';
export * from './spend-schemas';
export * from './override-schemas';
