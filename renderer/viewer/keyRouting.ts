// Who gets a key press: the views' shortcuts or the focused panel control. A clicked slider, checkbox or button keeps
// the focus; over a view the view still wins (arrows scroll, space toggles the overlay), and text fields always keep
// what is typed into them. Shared by the viewer's shortcuts and the editing shortcuts so both decide alike.

const TEXT_INPUT_TYPES = new Set(['text', 'search', 'number', 'email', 'password', 'url', 'tel', 'date', 'datetime-local', 'month', 'time', 'week']);
const RANGE_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End']);
const PRESS_KEYS = new Set([' ', 'Enter']);

/** A field the user types into (its keys, digits and arrows included, are never shortcuts). */
export function isTextEntry(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement) return true;
  if (el instanceof HTMLInputElement) return TEXT_INPUT_TYPES.has(el.type);
  return el instanceof HTMLElement && el.isContentEditable;
}

/** Whether the focused control does something of its own with this unmodified key. */
function controlUsesKey(el: Element | null, e: KeyboardEvent): boolean {
  if (!el || e.ctrlKey || e.metaKey || e.altKey) return false;
  if (el instanceof HTMLSelectElement) return true; // arrows, space and type-ahead letters all pick options
  if (el instanceof HTMLInputElement) return el.type === 'range' ? RANGE_KEYS.has(e.key) : PRESS_KEYS.has(e.key);
  if (el instanceof HTMLButtonElement || el instanceof HTMLAnchorElement || el.tagName === 'SUMMARY') return PRESS_KEYS.has(e.key);
  return false;
}

/** The pointer is over the three views (hover state is the browser's, so nothing can go stale across unmounts). */
export function pointerOverViews(): boolean {
  return document.querySelector('[data-testid=viewer]:hover') !== null;
}

/** True when a key press is a shortcut of the views (or of editing), false when the focused field owns it. */
export function keyBelongsToViews(e: KeyboardEvent): boolean {
  const target = e.target instanceof Element ? e.target : null;
  if (isTextEntry(target)) return false;
  if (controlUsesKey(target, e)) return pointerOverViews();
  return true;
}

/**
 * A press on a view takes the keyboard focus away from the panel control that had it (the views call
 * preventDefault on mousedown, which would otherwise leave the focus where it was).
 */
export function releasePanelFocus(): void {
  const el = document.activeElement;
  if (el instanceof HTMLElement && el !== document.body) el.blur();
}
