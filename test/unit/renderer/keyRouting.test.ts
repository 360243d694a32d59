// Key routing between the views' shortcuts and the focused panel control: the rule that lets arrows scroll and space
// toggle the overlay over a view even after a slider, checkbox or button was clicked, while typing stays in fields.
import { describe, expect, it } from 'vitest';
import { keyGoesToViews, type KeyPress } from '../../../renderer/viewer/keyRouting.js';

const press = (key: string, mods: Partial<KeyPress> = {}): KeyPress => ({ key, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe('keyGoesToViews', () => {
  it('gives every key to the views when no control has the focus', () => {
    for (const key of ['ArrowUp', ' ', '2', 'r', 'PageDown']) expect(keyGoesToViews('none', press(key), false)).toBe(true);
  });

  it('leaves typing in text fields, wherever the pointer is', () => {
    for (const over of [false, true]) {
      expect(keyGoesToViews('text', press('2'), over)).toBe(false);
      expect(keyGoesToViews('text', press('ArrowUp'), over)).toBe(false);
      expect(keyGoesToViews('text', press('z', { ctrlKey: true }), over)).toBe(false); // the field's own undo
    }
  });

  it('lets a focused slider keep its arrows off the views, and gives them to the views over a view', () => {
    expect(keyGoesToViews('range', press('ArrowUp'), false)).toBe(false);
    expect(keyGoesToViews('range', press('PageDown'), false)).toBe(false);
    expect(keyGoesToViews('range', press('ArrowUp'), true)).toBe(true);
    // Keys a slider does not use are shortcuts anyway.
    expect(keyGoesToViews('range', press('2'), false)).toBe(true);
    expect(keyGoesToViews('range', press(' '), false)).toBe(true);
  });

  it('lets a focused checkbox or button keep space and Enter off the views only', () => {
    expect(keyGoesToViews('pressable', press(' '), false)).toBe(false);
    expect(keyGoesToViews('pressable', press('Enter'), false)).toBe(false);
    expect(keyGoesToViews('pressable', press(' '), true)).toBe(true);
    expect(keyGoesToViews('pressable', press('ArrowDown'), false)).toBe(true);
  });

  it('lets a focused select keep every plain key (type-ahead) off the views', () => {
    expect(keyGoesToViews('select', press('l'), false)).toBe(false);
    expect(keyGoesToViews('select', press('ArrowDown'), false)).toBe(false);
    expect(keyGoesToViews('select', press('ArrowDown'), true)).toBe(true);
  });

  it('gives Ctrl/Cmd combinations (undo, redo) to the views from any control but a text field', () => {
    for (const focus of ['range', 'pressable', 'select'] as const) {
      expect(keyGoesToViews(focus, press('z', { ctrlKey: true }), false)).toBe(true);
      expect(keyGoesToViews(focus, press('y', { metaKey: true }), false)).toBe(true);
    }
  });
});
