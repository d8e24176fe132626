import type { PackOffer, SpendCapReached } from '@tollgate/domain';
import { PaymentRequiredError, toTollgateError, type TollgateError } from '@tollgate/sdk';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import { createLatestOnly } from '../../lib/latest-only';
import { useBillingStore, type LoadStatus } from '../billing/billing.store';
import { useCreditsStore } from '../credits/credits.store';
import { useSpendStore } from '../spend/spend.store';
import { createSessionsApi, type SessionDetail, type SessionSummary } from './sessions.api';

/** A run the server refused with 402: what the inline prompt needs. */
export interface RunDenial {
  code: PaymentRequiredError['code'];
  message: string;
  plan: PaymentRequiredError['plan'];
  used: number;
  limit: number;
  resetsAt: Date;
  /** Packs that would let runs through again (buying one answers this refusal); empty otherwise. */
  packs: PackOffer[];
  /** SPEND_CAP_REACHED: the cap, what was spent against it and where to raise it; null otherwise. */
  spendCap: SpendCapReached | null;
}

interface UnsentRun {
  message: string;
  runId: string;
}

export const useSessionsStore = defineStore('sessions', () => {
  const sessionsApi = createSessionsApi(useApi());
  const billing = useBillingStore();
  const credits = useCreditsStore();
  const spend = useSpendStore();

  const list = ref<SessionSummary[]>([]);
  const listStatus = ref<LoadStatus>('idle');
  const listError = ref<string | null>(null);
  const isCreating = ref(false);
  const createError = ref<string | null>(null);

  const current = ref<SessionDetail | null>(null);
  const currentStatus = ref<LoadStatus>('idle');
  const currentError = ref<string | null>(null);
  /** The session opened last fills the page: an earlier one's answer, arriving late, is dropped. */
  const opens = createLatestOnly();
  /** The session opened last, shown or still loading. */
  let requestedId: string | null = null;

  /** Sessions whose run is under way: each keeps its own message box busy, not one opened since. */
  const sendingIds = ref(new Set<string>());
  const isSending = computed(() => current.value !== null && sendingIds.value.has(current.value.id));
  const sendError = ref<string | null>(null);
  const denial = ref<RunDenial | null>(null);
  // A send that got no answer may still have started: resending the same message keeps its run id,
  // so the server recognises it instead of charging a second run. Per session: runs in two sessions may
  // be under way at once, and one's answer says nothing about the other's unsent run.
  const unsent = new Map<string, UnsentRun>();

  async function loadList(): Promise<void> {
    listStatus.value = 'loading';
    listError.value = null;
    try {
      list.value = await sessionsApi.list();
      listStatus.value = 'ready';
    } catch (failure) {
      listError.value = errorMessage(failure);
      listStatus.value = 'error';
    }
  }

  /** Returns the new session's id, or null (createError says why). */
  async function create(title?: string): Promise<string | null> {
    isCreating.value = true;
    createError.value = null;
    try {
      const session = await sessionsApi.create(title);
      list.value = [session, ...list.value];
      return session.id;
    } catch (failure) {
      createError.value = errorMessage(failure);
      return null;
    } finally {
      isCreating.value = false;
    }
  }

  async function remove(id: string): Promise<boolean> {
    try {
      await sessionsApi.remove(id);
      list.value = list.value.filter((session) => session.id !== id);
      if (current.value?.id === id) current.value = null;
      return true;
    } catch (failure) {
      listError.value = errorMessage(failure);
      return false;
    }
  }

  async function open(id: string): Promise<void> {
    const opening = opens.begin();
    requestedId = id;
    if (current.value?.id !== id) current.value = null;
    currentStatus.value = 'loading';
    currentError.value = null;
    denial.value = null;
    sendError.value = null;
    try {
      const session = await sessionsApi.get(id);
      if (!opens.isLatest(opening)) return;
      current.value = session;
      currentStatus.value = 'ready';
    } catch (failure) {
      if (!opens.isLatest(opening)) return;
      currentError.value = errorMessage(failure);
      currentStatus.value = 'error';
    }
  }

  /** The open session's runs again, quietly (the view keeps what it shows if this fails). */
  async function reloadRuns(id: string): Promise<void> {
    try {
      const fresh = await sessionsApi.get(id);
      if (current.value?.id === id) current.value = fresh;
    } catch {
      // Shown as it was; opening the session again reads it.
    }
  }

  /** Starts a run in the open session. Returns true when the agent took it. */
  async function send(message: string): Promise<boolean> {
    const session = current.value;
    if (!session || sendingIds.value.has(session.id)) return false;
    const unsentHere = unsent.get(session.id);
    const runId = unsentHere?.message === message ? unsentHere.runId : crypto.randomUUID();
    sendingIds.value.add(session.id);
    sendError.value = null;
    denial.value = null;
    // The user may open another session while the run is under way: its outcome then stays off that
    // page (the run shows when its own session is opened again), and the next message goes there.
    const isStillOpen = () => current.value?.id === session.id;
    try {
      const result = await sessionsApi.run({ id: session.id, runId, message });
      unsent.delete(session.id);
      if (current.value && isStillOpen()) {
        const runs = current.value.runs.filter((run) => run.runId !== result.run.runId);
        current.value = { ...current.value, runs: [...runs, result.run] };
      } else if (requestedId === session.id) {
        // Opened again (A → B → A) while the run was under way: that read may not have the run yet.
        void open(session.id);
      }
      billing.applyUsage(result.usage);
      credits.applyRunCredits(result.usage.credits);
      spend.noteRun(result.usage);
      return true;
    } catch (failure) {
      const error = toTollgateError(failure);
      if (mayBeCharged(error)) unsent.set(session.id, { message, runId });
      else unsent.delete(session.id);
      // Charged and flagged: the session shows the run as unconfirmed.
      if (error.code === 'AGENT_UNCONFIRMED') void reloadRuns(session.id);
      if (error instanceof PaymentRequiredError) {
        if (isStillOpen()) denial.value = toDenial(error);
        void billing.load();
        // The header's "+ N from packs" must not promise runs the server just said are gone.
        void credits.load();
        // Nor its overage count a spend the cap has since stopped.
        if (error.code === 'SPEND_CAP_REACHED') void spend.load();
      } else if (isStillOpen()) {
        sendError.value = errorMessage(error);
      }
      return false;
    } finally {
      sendingIds.value.delete(session.id);
    }
  }

  function dismissDenial(): void {
    denial.value = null;
  }

  return {
    list,
    listStatus,
    listError,
    isCreating,
    createError,
    current,
    currentStatus,
    currentError,
    isSending,
    sendError,
    denial,
    loadList,
    create,
    remove,
    open,
    send,
    dismissDenial,
  };
});

function toDenial(error: PaymentRequiredError): RunDenial {
  return {
    code: error.code,
    message: error.message,
    plan: error.plan,
    used: error.used,
    limit: error.limit,
    resetsAt: error.resetsAt,
    packs: error.body.error.packs ?? [],
    spendCap: error.body.error.spendCap ?? null,
  };
}

/**
 * Whether the run may have been charged (or may still be under way) although the call failed: then
 * sending the message again must reuse its run id, which answers the run's own outcome instead of
 * starting (and charging) a second one. No answer at all, "still under way", and any server error
 * (502 AGENT_UNCONFIRMED: charged and flagged; 503: the database was lost after the agent started; a
 * 500) — except AGENT_NOT_STARTED, whose run was released (its id can't be used again).
 */
function mayBeCharged(error: TollgateError): boolean {
  if (error.isTransportError || error.code === 'RUN_IN_PROGRESS') return true;
  return (error.httpStatus ?? 0) >= 500 && error.code !== 'AGENT_NOT_STARTED';
}
