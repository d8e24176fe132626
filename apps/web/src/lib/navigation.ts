/** Leaves the app for a hosted page (Stripe Checkout, the billing portal). */
export function leaveAppTo(url: string): void {
  window.location.assign(url);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
