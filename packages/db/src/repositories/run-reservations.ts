import type { Database } from '../database';
import type { RunActorKind, RunState } from '../schema';
import {
  decideRuns,
  ensureMemberPeriodRows,
  ensurePeriodRows,
  findStoredRuns,
  runKey,
  type RunDecisionRow,
} from './run-reservation-statement';

/** How many runs a group may hold and still go as a prepared statement (see its definition). */
export { PREPARED_GROUP_MAX } from './run-reservation-statement';

export interface ReserveRunInput {
  /** The account whose pool pays. */
  accountId: string;
  /** The member the run is for (recorded on the ledger row). */
  userId: string;
  /** Count it on the member's own counter too (team accounts; see RunToDecide). */
  countsMember: boolean;
  /** Caller-supplied, unique per account, usable once: the idempotency key of the run. */
  runId: string;
  /** The usage period in force; its start identifies the counter row. */
  period: { start: Date; end: Date };
  /**
   * The plan's limit for this period as the caller sees it. Used only when the period row is created:
   * admission reads the limit stored on the row (a plan change writes it there under the row's lock).
   */
  limit: number;
  /** Units to reserve (the caller's estimate; 1 for a plain run): from the allowance first, then grants. */
  units: number;
  /** A blocked account (e.g. past due after its grace) reserves nothing; a retry still gets its answer. */
  isBlocked: boolean;
  /**
   * The price per overage run (unit_amount_decimal, cents) when the plan bills overage, else null. Whether
   * the account opted in, and its cap, are read by the statement from account_spend_settings.
   * Omitted: null.
   */
  overagePrice?: string | null;
  /** Hash of who asks and for what: the same run id with another fingerprint is refused. */
  fingerprint: string;
  actor: { kind: RunActorKind; id: string };
  now: Date;
}

export type ReserveOutcome =
  /** New run: its units are counted, its ledger row is `reserved`. */
  | 'reserved'
  /** The same run id and fingerprint as before: nothing counted; `state` says where the run is. */
  | 'replayed'
  /** The run id was used for another request: nothing counted, nothing to start. */
  | 'fingerprint_mismatch'
  | 'limit_reached'
  /** The pool had room, but the member's own cap (set by an account admin) is reached. */
  | 'member_cap_reached'
  /** The allowance and credits are spent, and the overage the account opted into reached its cap. */
  | 'spend_cap_reached'
  | 'blocked';

export interface ReserveRunResult {
  outcome: ReserveOutcome;
  /** The period's allowance counter after the call (units drawn from grants are not in it). */
  used: number;
  /** The period's run limit, as stored on its row. */
  limit: number;
  /** Units the account's spendable grants hold after the call (as of its position in a group). */
  credits: number;
  /** Of the units this call reserved, those taken from the allowance (0 unless `reserved`). */
  unitsFromAllowance: number;
  /** Of the units this call reserved, those billed as overage (0 unless `reserved`). */
  unitsOverage: number;
  /** When overage is on: the period's overage counter after the call and the cap in runs (null: none). */
  overage: { used: number; cap: number | null } | null;
  /** The account's auto top-up threshold when auto top-up is on (else null). */
  autoTopUpThreshold: number | null;
  /** The ledger row's state (after the call) when one exists for this run id, else null. */
  state: RunState | null;
  /** For member-counted runs: the member's counter after the call and its cap (else null). */
  member: { used: number; cap: number | null } | null;
}

/** Rounds of the statement before giving up (only first uses and concurrent claims cost one more). */
const MAX_ROUNDS = 5;

/** The decision for the first occurrence of a run id, with the counter right after it. */
interface Decided {
  result: ReserveRunResult;
  /** The fingerprint stored for this run id (before or by this call), null when nothing is stored. */
  storedFingerprint: string | null;
  periodKey: string;
}

/**
 * Reserves many runs (of many tenants) at once, each answered as if the runs had been reserved one by
 * one in input order. PostgreSQL decides in ONE statement per round (`decideRuns`), never a
 * read-modify-write in JS; a batch of one is the single-run path, so there is one rule.
 *
 * Only the first occurrence of a run id goes to the database; later ones follow it. Another round is
 * needed only at first use (a period row that doesn't exist yet is created) and when a concurrent
 * statement claimed one of the run ids after this statement's snapshot (the statement then fails and
 * the group is decided again: that run is a retry or a mismatch).
 */
export async function reserveRuns(
  db: Database,
  inputs: readonly ReserveRunInput[],
): Promise<ReserveRunResult[]> {
  const firstIndexOf = new Map<string, number>();
  inputs.forEach((input, i) => {
    const key = runKey(input.accountId, input.runId);
    if (!firstIndexOf.has(key)) firstIndexOf.set(key, i);
  });
  const decided = new Map<number, Decided>();
  let pending = [...firstIndexOf.values()];
  for (let round = 0; pending.length > 0; round += 1) {
    if (round === MAX_ROUNDS) throw new Error('reserveRuns: runs could not be decided');
    pending = await decideRound(db, inputs, pending, decided);
  }
  return answerInOrder(inputs, firstIndexOf, decided);
}

/** One statement over `pending` (first occurrences); returns the ones to decide again. */
async function decideRound(
  db: Database,
  inputs: readonly ReserveRunInput[],
  candidates: readonly number[],
  decided: Map<number, Decided>,
): Promise<number[]> {
  // One period per account per statement (its running sum is the account's, grants included): a run
  // of the same account in another period (a group that straddles a period's end) waits a round.
  const periodOf = new Map<string, number>();
  const deferred: number[] = [];
  const pending: number[] = [];
  for (const index of candidates) {
    const input = inputAt(inputs, index);
    const start = input.period.start.getTime();
    const seen = periodOf.get(input.accountId);
    if (seen === undefined) periodOf.set(input.accountId, start);
    if (seen === undefined || seen === start) pending.push(index);
    else deferred.push(index);
  }
  const again = new Set<number>(deferred);
  const runs = pending.map((i) => inputAt(inputs, i));
  const rows = await decideRuns(
    db,
    runs.map((input) => ({ ...input, periodStart: input.period.start })),
  );
  // A run id was claimed by a concurrent statement: nothing was written, decide all of them again
  // (with a fresh snapshot the other claim is a prior run: a retry or a mismatch).
  if (rows === null) return [...candidates];
  const missingPeriods = runs.filter((_, position) => !rows.has(position));
  const missingMembers = runs.filter((_, position) => rows.get(position)?.isMemberMissing === true);
  pending.forEach((index, position) => {
    const row = rows.get(position);
    if (!row || row.isMemberMissing) again.add(index);
  });
  // A refusal read `prior` from a snapshot that may predate a concurrent claim of the same run id:
  // ask again with a fresh one. If it is stored now, this call is a retry of it.
  const refused = pending.filter((index, position) => {
    const row = rows.get(position);
    return row !== undefined && row.priorState === null && !row.isAdmitted;
  });
  const storedNow = await findStoredRuns(
    db,
    refused.map((i) => inputAt(inputs, i)),
  );
  for (const index of refused) {
    const input = inputAt(inputs, index);
    if (storedNow.has(runKey(input.accountId, input.runId))) again.add(index);
  }

  // The counters right after each run, in input order within this statement.
  const admittedSoFar = new Map<string, number>();
  const fromAllowanceSoFar = new Map<string, number>();
  const overageSoFar = new Map<string, number>();
  const memberAdmittedSoFar = new Map<string, number>();
  pending.forEach((index, position) => {
    const row = rows.get(position);
    if (!row || again.has(index)) return;
    const input = inputAt(inputs, index);
    const admittedBefore = admittedSoFar.get(row.periodId) ?? 0;
    const admitted = admittedBefore + (row.isAdmitted ? row.units : 0);
    admittedSoFar.set(row.periodId, admitted);
    const fromAllowance = (fromAllowanceSoFar.get(row.periodId) ?? 0) + row.unitsFromAllowance;
    fromAllowanceSoFar.set(row.periodId, fromAllowance);
    const overageUsed = (overageSoFar.get(row.periodId) ?? 0) + row.unitsOverage;
    overageSoFar.set(row.periodId, overageUsed);
    const credits = row.creditBefore - (admitted - fromAllowance - overageUsed);
    const overage = row.isOverageOn
      ? { used: row.overageUsedBefore + overageUsed, cap: row.overageCap }
      : null;
    const memberKey = runKey(row.periodId, input.userId);
    const memberAdmitted = (memberAdmittedSoFar.get(memberKey) ?? 0) + (row.isAdmitted ? row.units : 0);
    memberAdmittedSoFar.set(memberKey, memberAdmitted);
    const member =
      row.memberUsedBefore === null
        ? null
        : { used: row.memberUsedBefore + memberAdmitted, cap: row.memberCap };
    // Refused by its member's cap while the account's balance (allowance, credits and the overage the
    // cap allows) still had room for it: the member's denial, an admin raising the cap helps. A spent
    // balance is the account's denial (it needs more runs, not a higher cap).
    const overageRoom = !row.isOverageOn
      ? 0
      : row.overageCap === null
        ? Number.POSITIVE_INFINITY
        : Math.max(0, row.overageCap - row.overageUsedBefore);
    const balance = Math.max(0, row.runLimit - row.usedBefore) + row.creditBefore + overageRoom;
    const isMemberDenial = !row.isWithinMemberCap && admittedBefore + row.units <= balance;
    decided.set(index, {
      result: toResult(row, input, {
        usedAfter: row.usedBefore + fromAllowance,
        credits,
        overage,
        member,
        isMemberDenial,
      }),
      storedFingerprint:
        row.priorState !== null ? row.priorFingerprint : row.isAdmitted ? input.fingerprint : null,
      periodKey: row.periodId,
    });
  });
  await ensurePeriodRows(
    db,
    missingPeriods.map((input) => ({ accountId: input.accountId, ...input.period, limit: input.limit })),
  );
  // A member-counted run whose period row was missing needs its member row too: make both now.
  await ensureMemberPeriodRows(
    db,
    [...missingMembers, ...missingPeriods.filter((input) => input.countsMember)].map((input) => ({
      accountId: input.accountId,
      periodStart: input.period.start,
      userId: input.userId,
    })),
  );
  return [...again].sort((a, b) => a - b);
}

function toResult(
  row: RunDecisionRow,
  input: ReserveRunInput,
  after: {
    usedAfter: number;
    credits: number;
    overage: ReserveRunResult['overage'];
    member: ReserveRunResult['member'];
    isMemberDenial: boolean;
  },
): ReserveRunResult {
  const { usedAfter, credits, overage, member, isMemberDenial } = after;
  const base = {
    used: usedAfter,
    limit: row.runLimit,
    credits,
    unitsFromAllowance: 0,
    unitsOverage: 0,
    overage,
    autoTopUpThreshold: row.autoTopUpThreshold,
    member,
  };
  if (row.priorState !== null) {
    const outcome = row.priorFingerprint === input.fingerprint ? 'replayed' : 'fingerprint_mismatch';
    return { ...base, outcome, state: row.priorState };
  }
  if (row.isBlocked) return { ...base, outcome: 'blocked', state: null };
  if (isMemberDenial) return { ...base, outcome: 'member_cap_reached', state: null };
  // Overage on without a cap never runs out: a refusal with a cap in force is the cap's.
  if (!row.isAdmitted && row.isOverageOn && row.overageCap !== null) {
    return { ...base, outcome: 'spend_cap_reached', state: null };
  }
  if (!row.isAdmitted) return { ...base, outcome: 'limit_reached', state: null };
  return {
    ...base,
    outcome: 'reserved',
    state: 'reserved',
    unitsFromAllowance: row.unitsFromAllowance,
    unitsOverage: row.unitsOverage,
  };
}

/**
 * Every input's answer. A later occurrence of a run id is answered as a retry right after the first
 * (of the stored row: the first's reservation or what it found) or as a mismatch; a refused first
 * stored nothing, and the same counter refuses the later one too. Its counter is the period's as of
 * its position.
 */
function answerInOrder(
  inputs: readonly ReserveRunInput[],
  firstIndexOf: ReadonlyMap<string, number>,
  decided: ReadonlyMap<number, Decided>,
): ReserveRunResult[] {
  const latestUsed = new Map<string, number>();
  return inputs.map((input, i) => {
    const firstIndex = firstIndexOf.get(runKey(input.accountId, input.runId)) ?? -1;
    const first = decided.get(firstIndex);
    if (!first) throw new Error('reserveRuns: a run was left undecided');
    if (firstIndex === i) {
      latestUsed.set(first.periodKey, first.result.used);
      return first.result;
    }
    const used = latestUsed.get(first.periodKey) ?? first.result.used;
    if (first.result.state === null) return { ...first.result, used };
    const outcome = input.fingerprint === first.storedFingerprint ? 'replayed' : 'fingerprint_mismatch';
    return { ...first.result, outcome, used, unitsFromAllowance: 0, unitsOverage: 0 };
  });
}

function inputAt(inputs: readonly ReserveRunInput[], index: number): ReserveRunInput {
  const input = inputs[index];
  if (!input) throw new Error('reserveRuns: input index out of range');
  return input;
}
