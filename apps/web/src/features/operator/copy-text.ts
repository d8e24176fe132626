/**
 * Puts text on the clipboard. False where the browser has no Clipboard API (an insecure origin, an
 * old browser) or refuses it (no permission, the page not focused): the caller then asks the user to
 * copy by hand.
 */
export async function copyText(text: string): Promise<boolean> {
  if (typeof navigator === 'undefined' || !navigator.clipboard?.writeText) return false;
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
