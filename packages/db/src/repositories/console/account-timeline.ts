import { sql } from 'drizzle-orm';
import type { Database } from '../../database';
import { queryRows } from '../../raw-query';
import { dateOfRow } from '../../row-date';

export type AccountTimelineKind =
  'stripe_event' | 'plan_change' | 'run_denied' | 'notification' | 'operator_action';

export interface AccountTimelineEntry {
  at: Date;
  kind: AccountTimelineKind;
  summary: string;
  actor: string | null;
  detail: Record<string, unknown>;
}

export const MAX_TIMELINE_ENTRIES = 200;

type Row = Record<string, unknown>;
type Timestamp = Date | string;

/**
 * What happened to an account, newest first, at most `limit` entries, from every table that records
 * it: the Stripe events applied to it, its subscription's history (each row compared with the one
 * before), the days its runs were refused (402), the notifications about it, and operators' actions on
 * it. One bounded query per source (each reads at most `limit` rows through its account index), merged
 * here. `notificationTitle` renders a notification's text from its kind and facts (the api owns it).
 */
export async function listAccountTimeline(
  db: Database,
  accountId: string,
  options: {
    limit?: number;
    notificationTitle?: (kind: string, data: Record<string, unknown>) => string;
  } = {},
): Promise<AccountTimelineEntry[]> {
  const limit = Math.min(options.limit ?? MAX_TIMELINE_ENTRIES, MAX_TIMELINE_ENTRIES);
  const title = options.notificationTitle ?? ((kind: string) => kind);
  const [events, history, denials, notices, actions] = await Promise.all([
    queryRows<Row & { id: string; type: string; at: Timestamp; failure_code: string | null }>(
      db,
      sql`select id, type, stripe_created_at as at, failure_code from stripe_events
        where account_id = ${accountId} order by stripe_created_at desc, id desc limit ${limit}`,
    ),
    // The previous row is read over the account's whole history (lag), then only the newest are kept.
    queryRows<
      Row & {
        id: number | string;
        at: Timestamp;
        plan: string;
        status: string;
        quantity: number;
        stripe_subscription_id: string;
        source: string;
        previous_plan: string | null;
        previous_status: string | null;
        previous_quantity: number | null;
      }
    >(
      db,
      sql`select * from (
          select id, at, plan, status, quantity, stripe_subscription_id, source,
            lag(plan) over w as previous_plan, lag(status) over w as previous_status,
            lag(quantity) over w as previous_quantity
          from subscription_history where account_id = ${accountId}
          window w as (order by at, id)
        ) h order by at desc, id desc limit ${limit}`,
    ),
    queryRows<
      Row & {
        day: string;
        plan: string;
        code: string;
        denials: number;
        first_at: Timestamp;
        last_at: Timestamp;
      }
    >(
      db,
      sql`select day::text as day, plan, code, denials, first_at, last_at from payment_required_days
        where account_id = ${accountId} order by day desc, last_at desc limit ${limit}`,
    ),
    // One notification per event: every member gets its own row, with the same dedupe key.
    queryRows<Row & { kind: string; dedupe_key: string; data: unknown; at: Timestamp }>(
      db,
      sql`select kind, dedupe_key, data, at from (
          select distinct on (dedupe_key) kind, dedupe_key, data, created_at as at from notifications
          where account_id = ${accountId} order by dedupe_key, created_at
        ) n order by at desc limit ${limit}`,
    ),
    queryRows<
      Row & {
        id: number | string;
        at: Timestamp;
        action: string;
        actor_user_id: string;
        actor_role: string;
        actor_email: string | null;
        reason: string;
        before: unknown;
        after: unknown;
      }
    >(
      db,
      sql`select l.id, l.at, l.action, l.actor_user_id, l.actor_role, u.email as actor_email, l.reason,
          l.before, l.after
        from operator_audit_log l left join users u on u.id = l.actor_user_id
        where l.account_id = ${accountId} order by l.at desc, l.id desc limit ${limit}`,
    ),
  ]);
  const entries: AccountTimelineEntry[] = [
    ...events.map((row) => ({
      at: dateOfRow(row.at),
      kind: 'stripe_event' as const,
      summary: `Stripe: ${row.type}${row.failure_code ? ` (failed: ${row.failure_code})` : ''}`,
      actor: null,
      detail: { eventId: row.id, type: row.type, failureCode: row.failure_code },
    })),
    ...history.map((row) => ({
      at: dateOfRow(row.at),
      kind: 'plan_change' as const,
      summary: historySummary(row),
      actor: null,
      detail: {
        stripeSubscriptionId: row.stripe_subscription_id,
        plan: row.plan,
        status: row.status,
        quantity: Number(row.quantity),
        source: row.source,
      },
    })),
    ...denials.map((row) => {
      const count = Number(row.denials);
      return {
        at: dateOfRow(row.last_at),
        kind: 'run_denied' as const,
        summary: `${count} ${count === 1 ? 'run' : 'runs'} refused (${row.code})`,
        actor: null,
        detail: {
          day: row.day,
          plan: row.plan,
          code: row.code,
          denials: count,
          firstAt: dateOfRow(row.first_at),
        },
      };
    }),
    ...notices.map((row) => {
      const data = parseJsonObject(row.data);
      return {
        at: dateOfRow(row.at),
        kind: 'notification' as const,
        summary: safeTitle(title, row.kind, data),
        actor: null,
        detail: { kind: row.kind, data },
      };
    }),
    ...actions.map((row) => ({
      at: dateOfRow(row.at),
      kind: 'operator_action' as const,
      summary: row.reason ? `${row.action}: ${row.reason}` : row.action,
      actor: `${row.actor_email ?? row.actor_user_id} (${row.actor_role})`,
      detail: { auditId: Number(row.id), action: row.action, before: row.before, after: row.after },
    })),
  ];
  return entries.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, limit);
}

function historySummary(row: {
  plan: string;
  status: string;
  quantity: number;
  previous_plan: string | null;
  previous_status: string | null;
  previous_quantity: number | null;
}): string {
  if (row.previous_plan === null) return `Subscription: ${row.plan} (${row.status})`;
  const changes: string[] = [];
  if (row.previous_plan !== row.plan) changes.push(`Plan ${row.previous_plan} → ${row.plan}`);
  if (row.previous_status !== row.status) changes.push(`Status ${row.previous_status} → ${row.status}`);
  if (row.previous_quantity !== null && Number(row.previous_quantity) !== Number(row.quantity)) {
    changes.push(`Quantity ${row.previous_quantity} → ${row.quantity}`);
  }
  return changes.length > 0 ? changes.join('; ') : `Subscription updated: ${row.plan} (${row.status})`;
}

/** jsonb as either driver returns it (an object, or its text). */
function parseJsonObject(value: unknown): Record<string, unknown> {
  const parsed: unknown = typeof value === 'string' ? safeParse(value) : value;
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** A notification whose stored facts no longer render still shows up, by its kind. */
function safeTitle(
  title: (kind: string, data: Record<string, unknown>) => string,
  kind: string,
  data: Record<string, unknown>,
): string {
  try {
    return title(kind, data);
  } catch {
    return kind;
  }
}
