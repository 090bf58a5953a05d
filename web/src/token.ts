/**
 * The bearer token: kept in sessionStorage (this tab only) under
 * `vmapd-token`, asked for with the form `#token-form` (`#token`,
 * `#token-save`) when a request answers 401, or when the viewer opens it.
 */

const KEY = 'vmapd-token';

/** The stored token, or null. */
export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

function store(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // Storage refused (private mode quotas): the token lives in memory only.
  }
  memoryToken = token;
}

let memoryToken: string | null = null;

/** The token to send, or null for none. */
export function currentToken(): string | null {
  return storedToken() ?? memoryToken;
}

type PromptListener = (open: boolean) => void;
const listeners = new Set<PromptListener>();

/** Calls `fn(true)` when the prompt opens and `fn(false)` when it closes. */
export function onPromptChange(fn: PromptListener): void {
  listeners.add(fn);
}

let pending: Promise<void> | null = null;
let required = false;

function elements(): { form: HTMLFormElement; input: HTMLInputElement; message: HTMLElement | null; cancel: HTMLButtonElement | null } {
  const form = document.getElementById('token-form');
  const input = document.getElementById('token');
  if (!(form instanceof HTMLFormElement) || !(input instanceof HTMLInputElement)) throw new Error('the page lacks #token-form');
  const cancel = document.getElementById('token-cancel');
  return { form, input, message: document.getElementById('token-message'), cancel: cancel instanceof HTMLButtonElement ? cancel : null };
}

/**
 * Shows the prompt; resolves once a token is saved. `needed`: a request was
 * refused without one (the prompt cannot be dismissed then). Concurrent
 * calls share one prompt.
 */
export function askForToken(message: string, needed: boolean): Promise<void> {
  const { form, input, message: messageEl, cancel } = elements();
  if (messageEl) messageEl.textContent = message;
  required ||= needed;
  if (cancel) cancel.hidden = required;
  if (pending) return pending;
  pending = new Promise<void>((resolve) => {
    const close = (): void => {
      form.hidden = true;
      form.removeEventListener('submit', onSubmit);
      cancel?.removeEventListener('click', onCancel);
      pending = null;
      required = false;
      for (const fn of listeners) fn(false);
      resolve();
    };
    const onSubmit = (ev: SubmitEvent): void => {
      ev.preventDefault();
      const token = input.value.trim();
      if (token === '') {
        input.focus();
        return;
      }
      store(token);
      input.value = '';
      close();
    };
    const onCancel = (): void => {
      if (!required) close();
    };
    form.addEventListener('submit', onSubmit);
    cancel?.addEventListener('click', onCancel);
    form.hidden = false;
    input.focus();
  });
  for (const fn of listeners) fn(true);
  return pending;
}

/** Whether the prompt is showing. */
export function promptOpen(): boolean {
  return pending !== null;
}
