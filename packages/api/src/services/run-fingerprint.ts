import { createHash } from 'node:crypto';
import type { RunActor } from '@tollgate/db';

/**
 * A run's fingerprint: who asked, through which procedure, for what. The same run id with the same
 * fingerprint is a retry (never charged twice); with another one it is refused (RUN_ID_REUSED), so a
 * run paid for in one place can never be replayed for free in another.
 */
function fingerprintOf(parts: readonly string[]): string {
  // JSON keeps the parts apart: ("a", "bc") and ("ab", "c") hash differently.
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

/**
 * usage.authorize and requireRun: the caller, plus the optional hash a service passes of its request.
 * On a team account also the member the run is for, so two members (even through one service key)
 * sending the same run id are two requests: the second is refused. Personal accounts leave it out,
 * so every fingerprint stored before accounts existed still matches its retry.
 */
export function authorizeFingerprint(
  actor: RunActor,
  requestHash: string | undefined,
  teamMember: string | null = null,
  estimate = 1,
): string {
  const parts = ['usage.authorize', actor.kind, actor.id, requestHash ?? ''];
  const withMember = teamMember === null ? parts : [...parts, teamMember];
  // An estimate other than one run is part of the request (the same run id with another estimate is
  // another request); the default is left out, so fingerprints stored before estimates still match.
  return fingerprintOf(estimate === 1 ? withMember : [...withMember, `estimate:${estimate}`]);
}

/** sessions.run: the user, the session and the message (by hash: the text itself is stored on the run). */
export function sessionRunFingerprint(userId: string, sessionId: string, message: string): string {
  const messageHash = createHash('sha256').update(message).digest('base64url');
  return fingerprintOf(['sessions.run', userId, sessionId, messageHash]);
}

/** Tollgate's own sessions reserve and start runs as this actor. */
export const SESSIONS_ACTOR: RunActor = { kind: 'internal', id: 'sessions' };
