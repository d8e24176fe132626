/** The signed-in user as the app keeps it (the API's PublicUser, dates as ISO strings). */
export interface SessionUser {
  id: string;
  email: string | null;
}

export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  user: SessionUser;
}

export interface AuthSession {
  get(): StoredSession | null;
  set(session: StoredSession): void;
  clear(): void;
  /** Called on every change, this tab's or another tab's (the storage event). Returns an unsubscribe. */
  onChange(listener: (session: StoredSession | null) => void): () => void;
}

const STORAGE_KEY = 'tollgate.session';

/**
 * Tokens live in localStorage so a reload or a second tab stays signed in. Every read goes to the
 * storage (no cached copy), so a token another tab refreshed is used at once.
 */
export function createAuthSession(
  storage: Storage,
  eventTarget: Pick<Window, 'addEventListener'> | null = null,
): AuthSession {
  const listeners = new Set<(session: StoredSession | null) => void>();
  const notify = () => {
    const session = read();
    for (const listener of listeners) listener(session);
  };

  function read(): StoredSession | null {
    const raw = storage.getItem(STORAGE_KEY);
    if (!raw) return null;
    try {
      return parseSession(JSON.parse(raw));
    } catch {
      return null;
    }
  }

  eventTarget?.addEventListener('storage', (event) => {
    if (event.key === STORAGE_KEY || event.key === null) notify();
  });

  return {
    get: read,
    set(session) {
      storage.setItem(STORAGE_KEY, JSON.stringify(session));
      notify();
    },
    clear() {
      storage.removeItem(STORAGE_KEY);
      notify();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function parseSession(value: unknown): StoredSession | null {
  if (typeof value !== 'object' || value === null) return null;
  const { accessToken, refreshToken, user } = value as Record<string, unknown>;
  if (typeof accessToken !== 'string' || typeof refreshToken !== 'string') return null;
  if (typeof user !== 'object' || user === null) return null;
  const { id, email } = user as Record<string, unknown>;
  if (typeof id !== 'string') return null;
  return { accessToken, refreshToken, user: { id, email: typeof email === 'string' ? email : null } };
}
