import { toTollgateError } from '@tollgate/sdk';
import { ref } from 'vue';
import { useApi } from '../../lib/api';
import { errorMessage } from '../../lib/error-message';
import type { ApiKeyScope } from './api-key-scopes';
import { createApiKeysApi, type ApiKeyRow, type CreatedApiKey } from './operator.api';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error' | 'forbidden';

/**
 * The API keys page's state. Local to the page rather than a Pinia store: a created key must not
 * outlive the page that showed it, and nothing else in the app needs the list.
 */
export function useApiKeys() {
  const apiKeysApi = createApiKeysApi(useApi());

  const keys = ref<ApiKeyRow[]>([]);
  const status = ref<LoadStatus>('idle');
  const error = ref<string | null>(null);

  const created = ref<CreatedApiKey | null>(null);
  const isCreating = ref(false);
  const createError = ref<string | null>(null);

  const revokingId = ref<string | null>(null);
  const revokeError = ref<string | null>(null);

  /** A 403: the role was taken away since the page decided to show itself. */
  function isForbidden(failure: unknown): boolean {
    return toTollgateError(failure).httpStatus === 403;
  }

  async function load(): Promise<void> {
    status.value = 'loading';
    error.value = null;
    try {
      keys.value = await apiKeysApi.list();
      status.value = 'ready';
    } catch (failure) {
      error.value = errorMessage(failure);
      status.value = isForbidden(failure) ? 'forbidden' : 'error';
    }
  }

  /** Returns true when the key was created (it is in `created` until `forgetCreated`). */
  async function create(name: string, scopes: ApiKeyScope[]): Promise<boolean> {
    if (isCreating.value) return false;
    isCreating.value = true;
    createError.value = null;
    try {
      created.value = await apiKeysApi.create({ name, scopes });
      await load();
      return true;
    } catch (failure) {
      createError.value = errorMessage(failure);
      if (isForbidden(failure)) status.value = 'forbidden';
      return false;
    } finally {
      isCreating.value = false;
    }
  }

  async function revoke(id: string): Promise<boolean> {
    if (revokingId.value) return false;
    revokingId.value = id;
    revokeError.value = null;
    try {
      await apiKeysApi.revoke(id);
      await load();
      return true;
    } catch (failure) {
      revokeError.value = errorMessage(failure);
      return false;
    } finally {
      revokingId.value = null;
    }
  }

  /** The operator has stored the key: it is never shown again. */
  function forgetCreated(): void {
    created.value = null;
  }

  return {
    keys,
    status,
    error,
    created,
    isCreating,
    createError,
    revokingId,
    revokeError,
    load,
    create,
    revoke,
    forgetCreated,
  };
}
