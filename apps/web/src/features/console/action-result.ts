/**
 * What an action form learns from its submit: done (with a page to open, for a deal's invoice), or why
 * not. `isRefused`: the server answered and refused (4xx), so nothing happened; otherwise (no answer, a
 * 5xx, a 429 "busy") the outcome is unknown or nothing was done, and the same request may be sent again.
 */
export type ActionResult =
  { isDone: true; link?: string | null } | { isDone: false; error: string; isRefused?: boolean };

export const DONE: ActionResult = { isDone: true };

export function failed(error: string, isRefused = false): ActionResult {
  return { isDone: false, error, isRefused };
}
