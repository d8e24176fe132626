import { isRefreshFamilyLive, type Database } from '@tollgate/db';

/**
 * How long this process takes a session it found signed in as still signed in. An access token names
 * its session (the refresh-token family, `sid`); a logout or password reset on THIS process ends it at
 * once, on another replica it ends within this time. Before, an access token outlived both by up to
 * its whole lifetime (ACCESS_TOKEN_TTL_SECONDS, 15 min by default).
 */
export const SESSION_CHECK_TTL_MS = 5_000;
/** The most sessions one process remembers (oldest dropped first; a dropped one is looked up again). */
export const SESSIONS_REMEMBERED_MAX = 10_000;

interface Entry {
  userId: string;
  /** Ended is final: a family never comes back once its tokens are revoked. */
  isEnded: boolean;
  checkedAt: number;
}

/**
 * Whether the session an access token names is still signed in, answered from memory for
 * SESSION_CHECK_TTL_MS after one indexed read, so a signed-in user's requests cost a Map lookup (one
 * read per session and process every few seconds, however many requests). Concurrent requests of one
 * session share one read.
 */
export function createSessionLiveness(db: Database, now: () => Date) {
  const entries = new Map<string, Entry>();
  const lookups = new Map<string, { answer: Promise<boolean>; generation: number }>();
  // Bumped by every end: a read that started before it may have seen the session live, so its answer
  // is not remembered (the next request reads again).
  let generation = 0;

  function remember(sessionId: string, entry: Entry): void {
    entries.delete(sessionId); // re-inserted last: the oldest entry is the first one dropped
    if (entries.size >= SESSIONS_REMEMBERED_MAX) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    entries.set(sessionId, entry);
  }

  async function lookUp(sessionId: string, userId: string): Promise<boolean> {
    const startedIn = generation;
    const at = now();
    const isLive = await isRefreshFamilyLive(db, sessionId, userId);
    if (!isLive || startedIn === generation) {
      remember(sessionId, { userId, isEnded: !isLive, checkedAt: at.getTime() });
    }
    return isLive;
  }

  return {
    async isLive(sessionId: string, userId: string): Promise<boolean> {
      const entry = entries.get(sessionId);
      if (entry && entry.userId === userId) {
        if (entry.isEnded) return false;
        if (now().getTime() - entry.checkedAt < SESSION_CHECK_TTL_MS) return true;
      }
      const key = `${sessionId}\n${userId}`;
      const pending = lookups.get(key);
      // A read that started before an end may answer live: later requests don't join it.
      if (pending?.generation === generation) return pending.answer;
      const lookup = { answer: lookUp(sessionId, userId), generation };
      lookups.set(key, lookup);
      return lookup.answer.finally(() => {
        if (lookups.get(key) === lookup) lookups.delete(key);
      });
    },

    /** A logout (or a detected reuse) ended this session: its access tokens are refused from now on. */
    ended(sessionId: string, userId: string): void {
      generation += 1;
      remember(sessionId, { userId, isEnded: true, checkedAt: now().getTime() });
    },

    /** A password reset ended every session of the user. */
    endedAllOf(userId: string): void {
      generation += 1;
      for (const entry of entries.values()) {
        if (entry.userId === userId) entry.isEnded = true;
      }
    },
  };
}

export type SessionLiveness = ReturnType<typeof createSessionLiveness>;
