import { isRefreshFamilyLive, type Database } from '@tollgate/db';
import { setBounded } from '../bounded-map';

/**
 * How long this process takes a session it found signed in as still signed in. An access token names
 * its session (the refresh-token family, `sid`); a logout or password reset on THIS process ends it at
 * once, on another replica it ends within this time. Before, an access token outlived both by up to
 * its whole lifetime (ACCESS_TOKEN_TTL_SECONDS, 15 min by default). Why 30 s and not less: a user
 * whose client calls about once a second needs a database read on one request in TTL seconds. In the
 * HTTP authorize bench (1,000 such users) the server spent ~17 % more CPU per request at 5 s than
 * without the check (933 vs 801 µs), ~3 % at 30 s (815-832 µs).
 */
export const SESSION_CHECK_TTL_MS = 30_000;
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
  const lookups = new Map<string, { answer: Promise<boolean>; userEnds: number }>();
  // userId → how many times all its sessions were ended (password resets) here. A read that started
  // before one may have seen a session live: its answer is not remembered, and later requests don't
  // join it. Per user (not one counter for the process): ending one user's sessions, which anyone
  // can do to their own, never makes this process read again for everyone else.
  const userEnds = new Map<string, number>();

  const keep = <Value>(map: Map<string, Value>, key: string, value: Value): void =>
    setBounded(map, key, value, SESSIONS_REMEMBERED_MAX);

  const isEndedHere = (sessionId: string, userId: string): boolean => {
    const entry = entries.get(sessionId);
    return entry?.isEnded === true && entry.userId === userId;
  };

  async function lookUp(sessionId: string, userId: string, endsAtStart: number): Promise<boolean> {
    const at = now();
    const isLive = await isRefreshFamilyLive(db, sessionId, userId);
    // Ended here while the read ran: the end stands (it is final), whatever the read saw.
    const isEndedMeanwhile = isEndedHere(sessionId, userId) || (userEnds.get(userId) ?? 0) !== endsAtStart;
    if (!isLive || !isEndedMeanwhile) {
      keep(entries, sessionId, { userId, isEnded: !isLive, checkedAt: at.getTime() });
    }
    return isLive;
  }

  return {
    async isLive(sessionId: string, userId: string): Promise<boolean> {
      const entry = entries.get(sessionId);
      if (entry && entry.userId === userId) {
        if (entry.isEnded) return false;
        // An age below 0 is a clock stepped back: the answer is read again rather than kept longer.
        const age = now().getTime() - entry.checkedAt;
        if (age >= 0 && age < SESSION_CHECK_TTL_MS) return true;
      }
      const key = `${sessionId}\n${userId}`;
      const ends = userEnds.get(userId) ?? 0;
      const pending = lookups.get(key);
      // A read that started before the user's sessions were ended may answer live: not joined.
      if (pending?.userEnds === ends) return pending.answer;
      const lookup = { answer: lookUp(sessionId, userId, ends), userEnds: ends };
      lookups.set(key, lookup);
      return lookup.answer.finally(() => {
        if (lookups.get(key) === lookup) lookups.delete(key);
      });
    },

    /** A logout (or a detected reuse) ended this session: its access tokens are refused from now on. */
    ended(sessionId: string, userId: string): void {
      keep(entries, sessionId, { userId, isEnded: true, checkedAt: now().getTime() });
    },

    /** A password reset ended every session of the user. */
    endedAllOf(userId: string): void {
      keep(userEnds, userId, (userEnds.get(userId) ?? 0) + 1);
      for (const entry of entries.values()) {
        if (entry.userId === userId) entry.isEnded = true;
      }
    },
  };
}

export type SessionLiveness = ReturnType<typeof createSessionLiveness>;
