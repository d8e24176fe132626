import type { LocationQuery, LocationQueryRaw } from 'vue-router';
import type { AuditQuery, AuditRow } from './console.api';
import type { CsvCell } from './csv';
import { compactQuery, firstValue } from './route-query';

/** Rows asked for at a time; "Load more" asks for the next ones, older than the last shown. */
export const AUDIT_PAGE_SIZE = 50;

export interface AuditFilters {
  accountId: string;
  actorUserId: string;
  action: string;
}

/** Suggestions for the action filter: actions the server writes (the field takes any other one too). */
export const KNOWN_AUDIT_ACTIONS = [
  'grant_credits',
  'set_run_limit',
  'set_spend_cap',
  'comp',
  'end_comp',
  'extend_trial',
  'restart_trial',
  'revoke_credits',
  'resync',
  'cancel_subscription',
  'cancel_at_period_end',
  'grant_platform_role',
  'revoke_platform_role',
  'claim_operator_bootstrap',
  'create_api_key',
  'revoke_api_key',
  'replay_webhook',
  'reconcile',
  // Written by the system, not staff: a customer's own trial cleared the trial window staff had set.
  'own_trial_started',
] as const;

export function auditFiltersFromQuery(query: LocationQuery): AuditFilters {
  return {
    accountId: firstValue(query, 'account') ?? '',
    actorUserId: firstValue(query, 'actor') ?? '',
    action: firstValue(query, 'action') ?? '',
  };
}

export function auditFiltersToQuery(filters: AuditFilters): LocationQueryRaw {
  return compactQuery({
    account: filters.accountId.trim(),
    actor: filters.actorUserId.trim(),
    action: filters.action.trim(),
  });
}

/** admin.auditLog's input: the filters set, and the cursor (older than row `beforeId`) for the next page. */
export function toAuditQuery(filters: AuditFilters, beforeId: number | null): AuditQuery {
  const accountId = filters.accountId.trim();
  const actorUserId = filters.actorUserId.trim();
  const action = filters.action.trim();
  return {
    ...(accountId ? { accountId } : {}),
    ...(actorUserId ? { actorUserId } : {}),
    ...(action ? { action } : {}),
    limit: AUDIT_PAGE_SIZE,
    ...(beforeId === null ? {} : { beforeId }),
  };
}

/** before / after are JSON of any shape: one cell each, as compact JSON. */
function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function auditCsvRows(rows: readonly AuditRow[]): CsvCell[][] {
  return [
    [
      'id',
      'at',
      'actor_user_id',
      'actor_role',
      'action',
      'account_id',
      'reason',
      'before',
      'after',
      'request_id',
    ],
    ...rows.map((row) => [
      row.id,
      row.at,
      row.actorUserId,
      row.actorRole,
      row.action,
      row.accountId,
      row.reason,
      json(row.before),
      json(row.after),
      row.requestId,
    ]),
  ];
}
