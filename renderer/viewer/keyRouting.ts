// Who gets a key press: the views' shortcuts or the focused panel control. A clicked slider, checkbox or button keeps
// the focus; over a view the view still wins (arrows scroll, space toggles the overlay), and text fields always keep
// what is typed into them. Shared by the viewer's shortcuts and the editing shortcuts so both decide alike.

/** What has the keyboard focus, as far as key routing cares. */
export type FocusKind = 'text' | 'select' | 'range' | 'pressable' | 'none';

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

const TEXT_INPUT_TYPES = new Set(['text', 'search', 'number', 'email', 'password', 'url', 'tel', 'date', 'datetime-local', 'month', 'time', 'week']);
const RANGE_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End']);
const PRESS_KEYS = new Set([' ', 'Enter']);

/**
 * The routing rule, without the DOM: typing stays in text fields; a control keeps the unmodified keys it uses itself
 * (a select: all of them, type-ahead included; a slider: arrows, pages, Home/End; buttons and checkboxes: space and
 * Enter) unless the pointer is over the views; everything else is a shortcut.
 */
export function keyGoesToViews(focus: FocusKind, e: KeyPress, pointerOverViews: boolean): boolean {
  if (focus === 'text') return false;
  const modified = e.ctrlKey || e.metaKey || e.altKey;
  const usedByControl = !modified && (focus === 'select' || (focus === 'range' && RANGE_KEYS.has(e.key)) || (focus === 'pressable' && PRESS_KEYS.has(e.key)));
  return usedByControl ? pointerOverViews : true;
}

export function focusKindOf(el: Element | null): FocusKind {
  if (!el) return 'none';
  if (el instanceof HTMLTextAreaElement || (el instanceof HTMLElement && el.isContentEditable)) return 'text';
  if (el instanceof HTMLSelectElement) return 'select';
  if (el instanceof HTMLInputElement) return TEXT_INPUT_TYPES.has(el.type) ? 'text' : el.type === 'range' ? 'range' : 'pressable';
  if (el instanceof HTMLButtonElement || el instanceof HTMLAnchorElement || el.tagName === 'SUMMARY') return 'pressable';
  return 'none';
}

/** The pointer is over the three views (hover state is the browser's, so nothing can go stale across unmounts). */
export function pointerOverViews(): boolean {
  return document.querySelector('[data-testid=viewer]:hover') !== null;
}

/** True when a key press is a shortcut of the views (or of editing), false when the focused field owns it. */
export function keyBelongsToViews(e: KeyboardEvent): boolean {
  const focus = focusKindOf(e.target instanceof Element ? e.target : null);
  // Only ask for the hover state when it decides.
  return keyGoesToViews(focus, e, false) || keyGoesToViews(focus, e, pointerOverViews());
}

/**
 * A press on a view takes the keyboard focus away from the panel control that had it (the views call
 * preventDefault on mousedown, which would otherwise leave the focus where it was).
 */
export function releasePanelFocus(): void {
  const el = document.activeElement;
  if (el instanceof HTMLElement && el !== document.body) el.blur();
}
