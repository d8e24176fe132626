/** What an action form learns from its submit: done (with a page to open, for a deal's invoice), or why not. */
export type ActionResult = { isDone: true; link?: string | null } | { isDone: false; error: string };

export const DONE: ActionResult = { isDone: true };

export function failed(error: string): ActionResult {
  return { isDone: false, error };
}
