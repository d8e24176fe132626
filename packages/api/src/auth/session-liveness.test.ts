import { randomUUID } from 'node:crypto';
import { ensureUser, insertRefreshToken, revokeRefreshTokenFamily } from '@tollgate/db';
import { createTestDb, type TestDbHandle } from '@tollgate/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionLiveness, SESSION_CHECK_TTL_MS } from './session-liveness';

let handle: TestDbHandle;
beforeAll(async () => {
  handle = await createTestDb();
});
afterAll(() => handle?.close());

/** A user signed in once: its session (refresh-token family) id. */
async function signedIn(userId = `user-${randomUUID()}`): Promise<{ userId: string; sessionId: string }> {
  await ensureUser(handle.db, userId);
  const sessionId = randomUUID();
  await insertRefreshToken(handle.db, {
    userId,
    tokenHash: randomUUID(),
    familyId: sessionId,
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  return { userId, sessionId };
}

/** A liveness on a clock the test moves. */
function livenessAt(start = Date.now()) {
  let at = start;
  const liveness = createSessionLiveness(handle.db, () => new Date(at));
  return { liveness, advance: (ms: number) => (at += ms) };
}

describe('session liveness', () => {
  it('a session ended elsewhere (another replica) is refused once SESSION_CHECK_TTL_MS has passed', async () => {
    const { liveness, advance } = livenessAt();
    const { userId, sessionId } = await signedIn();
    expect(await liveness.isLive(sessionId, userId)).toBe(true);
    await revokeRefreshTokenFamily(handle.db, sessionId);
    advance(SESSION_CHECK_TTL_MS - 1);
    expect(await liveness.isLive(sessionId, userId)).toBe(true);
    advance(1);
    expect(await liveness.isLive(sessionId, userId)).toBe(false);
    // Ended is final: no later read makes it live again.
    advance(SESSION_CHECK_TTL_MS * 10);
    expect(await liveness.isLive(sessionId, userId)).toBe(false);
  });

  it('a clock stepped back does not lengthen what is remembered: the session is read again', async () => {
    const { liveness, advance } = livenessAt();
    const { userId, sessionId } = await signedIn();
    expect(await liveness.isLive(sessionId, userId)).toBe(true);
    await revokeRefreshTokenFamily(handle.db, sessionId);
    advance(-60_000);
    expect(await liveness.isLive(sessionId, userId)).toBe(false);
  });

  it('a session ended here is refused at once, though the database still has it signed in', async () => {
    const { liveness } = livenessAt();
    const { userId, sessionId } = await signedIn();
    expect(await liveness.isLive(sessionId, userId)).toBe(true);
    liveness.ended(sessionId, userId);
    expect(await liveness.isLive(sessionId, userId)).toBe(false);
  });

  it('a read that started before the end does not bring the session back', async () => {
    const { liveness } = livenessAt();
    const { userId, sessionId } = await signedIn();
    const inFlight = liveness.isLive(sessionId, userId); // reads the row while it is still live
    liveness.ended(sessionId, userId);
    const joined = liveness.isLive(sessionId, userId);
    expect(await inFlight).toBe(true); // concurrent with the logout: either answer is right
    expect(await joined).toBe(false);
    expect(await liveness.isLive(sessionId, userId)).toBe(false);
  });

  it("a password reset ends every session of the user remembered here, and no other user's", async () => {
    const { liveness, advance } = livenessAt();
    const first = await signedIn();
    const second = await signedIn(first.userId);
    const someoneElse = await signedIn();
    for (const s of [first, second, someoneElse])
      expect(await liveness.isLive(s.sessionId, s.userId)).toBe(true);

    advance(SESSION_CHECK_TTL_MS);
    // A request's read, in flight while the reset commits: it still finds the session signed in.
    const racing = liveness.isLive(first.sessionId, first.userId);
    liveness.endedAllOf(first.userId);
    await revokeRefreshTokenFamily(handle.db, first.sessionId);
    await revokeRefreshTokenFamily(handle.db, second.sessionId);
    await racing;

    expect(await liveness.isLive(first.sessionId, first.userId)).toBe(false);
    expect(await liveness.isLive(second.sessionId, second.userId)).toBe(false);
    expect(await liveness.isLive(someoneElse.sessionId, someoneElse.userId)).toBe(true);
  });

  it("refuses a session named with another user's id, an unknown session, and a malformed id", async () => {
    const { liveness } = livenessAt();
    const owner = await signedIn();
    const other = await signedIn();
    expect(await liveness.isLive(owner.sessionId, owner.userId)).toBe(true);
    expect(await liveness.isLive(owner.sessionId, other.userId)).toBe(false);
    expect(await liveness.isLive(randomUUID(), owner.userId)).toBe(false);
    expect(await liveness.isLive('not-a-uuid', owner.userId)).toBe(false);
    // The owner's answer is untouched by the wrong guesses.
    expect(await liveness.isLive(owner.sessionId, owner.userId)).toBe(true);
  });

  it("ending one user's sessions never makes this process forget what it read about another's", async () => {
    const { liveness } = livenessAt();
    const victim = await signedIn();
    const attacker = await signedIn();
    const reading = liveness.isLive(victim.sessionId, victim.userId);
    // Anyone can end their own session (a logout, a replayed dead refresh token) as often as they like.
    liveness.ended(attacker.sessionId, attacker.userId);
    liveness.endedAllOf(attacker.userId);
    expect(await reading).toBe(true);
    // The victim's answer was remembered: within SESSION_CHECK_TTL_MS it is not read again (the
    // database, changed behind its back here, would say otherwise).
    await revokeRefreshTokenFamily(handle.db, victim.sessionId);
    expect(await liveness.isLive(victim.sessionId, victim.userId)).toBe(true);
  });
});
