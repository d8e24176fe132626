import { nextTick, onBeforeUnmount, watch, type Ref } from 'vue';

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
].join(',');

export interface FocusTrapOptions {
  /** While true, Tab and Shift+Tab cycle inside the container. */
  isActive: Ref<boolean>;
  onEscape: () => void;
  /** Receives focus on activation; default the first focusable element. */
  initialFocus?: Ref<HTMLElement | null>;
}

/**
 * Keeps keyboard focus inside a modal while it is open, closes it on Escape, and gives focus back to
 * whatever had it before (the button that opened it) when it closes.
 */
export function useFocusTrap(container: Ref<HTMLElement | null>, options: FocusTrapOptions) {
  let opener: HTMLElement | null = null;

  function focusables(): HTMLElement[] {
    const root = container.value;
    if (!root) return [];
    return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => !element.hidden);
  }

  function onKeydown(event: KeyboardEvent): void {
    if (!options.isActive.value) return;
    if (event.key === 'Escape') {
      event.preventDefault();
      options.onEscape();
      return;
    }
    if (event.key !== 'Tab') return;
    const elements = focusables();
    const first = elements[0];
    const last = elements[elements.length - 1];
    if (!first || !last) {
      event.preventDefault();
      return;
    }
    const active = document.activeElement;
    const isOutside = !container.value?.contains(active);
    if (event.shiftKey && (active === first || isOutside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || isOutside)) {
      event.preventDefault();
      first.focus();
    }
  }

  // A click on the page behind (or a screen reader's virtual cursor) must not leave focus outside.
  function onFocusIn(event: FocusEvent): void {
    const root = container.value;
    if (!options.isActive.value || !root || root.contains(event.target as Node | null)) return;
    (focusables()[0] ?? root).focus();
  }

  async function activate(): Promise<void> {
    opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    document.addEventListener('keydown', onKeydown);
    document.addEventListener('focusin', onFocusIn);
    await nextTick();
    const target = options.initialFocus?.value ?? focusables()[0] ?? container.value;
    target?.focus();
  }

  function deactivate(): void {
    document.removeEventListener('keydown', onKeydown);
    document.removeEventListener('focusin', onFocusIn);
    const returnTo = opener;
    opener = null;
    if (returnTo?.isConnected) returnTo.focus();
  }

  watch(
    options.isActive,
    (isActive, wasActive) => {
      if (isActive && !wasActive) void activate();
      if (!isActive && wasActive) deactivate();
    },
    { immediate: true },
  );

  onBeforeUnmount(() => {
    if (options.isActive.value) deactivate();
  });
}
