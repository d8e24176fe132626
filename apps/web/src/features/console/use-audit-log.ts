import { ref, shallowRef } from 'vue';
import { errorMessage } from '../../lib/error-message';
import { createLatestOnly } from '../../lib/latest-only';
import { AUDIT_PAGE_SIZE, toAuditQuery, type AuditFilters } from './audit-log';
import type { AuditRow, ConsoleApi } from './console.api';
import { isForbidden, type QueryStatus } from './use-console-query';

/** The audit page's rows: the newest first, older ones appended by "Load more" (cursor: the last id). */
export function useAuditLog(api: ConsoleApi) {
  const rows = shallowRef<AuditRow[]>([]);
  const status = ref<QueryStatus>('idle');
  const error = ref<string | null>(null);
  const hasMore = ref(false);
  let filters: AuditFilters | null = null;
  /** The last page asked for fills the list: new filters drop an older page still on its way. */
  const pages = createLatestOnly();

  async function fetchPage(beforeId: number | null): Promise<void> {
    if (!filters) return;
    const fetching = pages.begin();
    status.value = 'loading';
    error.value = null;
    try {
      const page = await api.auditLog(toAuditQuery(filters, beforeId));
      if (!pages.isLatest(fetching)) return;
      rows.value = beforeId === null ? page : [...rows.value, ...page];
      // A full page may have more behind it; a short one was the last.
      hasMore.value = page.length === AUDIT_PAGE_SIZE;
      status.value = 'ready';
    } catch (failure) {
      if (!pages.isLatest(fetching)) return;
      error.value = errorMessage(failure);
      status.value = isForbidden(failure) ? 'forbidden' : 'error';
    }
  }

  /** New filters: from the newest row again. */
  function load(next: AuditFilters): Promise<void> {
    filters = next;
    rows.value = [];
    return fetchPage(null);
  }

  function loadMore(): Promise<void> {
    return fetchPage(rows.value.at(-1)?.id ?? null);
  }

  return { rows, status, error, hasMore, load, loadMore };
}
