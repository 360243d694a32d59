// "Paint only over label L" (BrushStroke.onlyOverLabel): on a phantom slice half label 5 ("organ"), half
// background with a square of label 7, a disc painted across all of it changes exactly the organ's voxels inside the
// disc and nothing else; without the option the whole disc is painted; an unknown label is refused.
import { describe, expect, it } from 'vitest';
import { strokeDelta } from '../../../shared/domain/editing/operations.js';
import { validateStroke, type BrushStroke } from '../../../shared/domain/editing/strokes.js';
import { AppError } from '../../../shared/errors.js';
import { editStrokeSchema } from '../../../shared/domain/editing/schemas.js';

const dims: [number, number, number] = [40, 40, 3];
const geometry = { dims, spacingMm: [1, 1, 2] as [number, number, number] };
const labels = new Uint8Array(40 * 40 * 3);
const at = (i: number, j: number, k: number) => i + 40 * (j + 40 * k);
for (let j = 0; j < 40; j++) for (let i = 0; i < 20; i++) labels[at(i, j, 1)] = 5;
for (let j = 25; j < 30; j++) for (let i = 25; i < 30; i++) labels[at(i, j, 1)] = 7;

const stroke = (extra: Partial<BrushStroke>): BrushStroke => ({
  kind: 'brush',
  mode: 'paint',
  label: 9,
  pathIjk: [[20, 25, 1]],
  radiusMm: 8,
  shape: 'disc',
  plane: 'axial',
  ...extra,
});

/** Voxels of slice 1 whose centre lies within r of (20, 25). */
function disc(pred: (i: number, j: number) => boolean): number[] {
  const out: number[] = [];
  for (let j = 0; j < 40; j++) for (let i = 0; i < 40; i++) if ((i - 20) ** 2 + (j - 25) ** 2 <= 64 && pred(i, j)) out.push(at(i, j, 1));
  return out;
}

describe('brush confined to one label', () => {
  it('paints only the voxels of that label inside the brush', () => {
    const d = strokeDelta({ geometry, labels }, stroke({ onlyOverLabel: 5 }));
    const expected = disc((i) => i < 20);
    expect(expected.length).toBeGreaterThan(50);
    expect(Array.from(d.indices)).toEqual(expected);
    expect(new Set(d.oldValues)).toEqual(new Set([5]));
    expect(new Set(d.newValues)).toEqual(new Set([9]));
  });

  it('without it the whole disc is painted (organ, background and the other label)', () => {
    const d = strokeDelta({ geometry, labels }, stroke({}));
    expect(Array.from(d.indices)).toEqual(disc(() => true));
    expect(new Set(d.oldValues)).toEqual(new Set([0, 5, 7]));
  });

  it('only over background (0) paints the empty voxels only; an unknown label is refused', () => {
    const d = strokeDelta({ geometry, labels }, stroke({ onlyOverLabel: 0 }));
    expect(Array.from(d.indices)).toEqual(disc((i, j) => i >= 20 && !(i >= 25 && i < 30 && j >= 25 && j < 30)));
    const ctx = { geometry, knownLabels: new Set([5, 7, 9]), hasModality: false };
    expect(() => validateStroke(stroke({ onlyOverLabel: 5 }), ctx)).not.toThrow();
    expect(() => validateStroke(stroke({ onlyOverLabel: 33 }), ctx)).toThrow(AppError);
    expect(() => validateStroke(stroke({ onlyOverLabel: 33 }), ctx)).toThrow(/onlyOverLabel|Unknown label 33/);
  });

  it('travels through the method table: the stroke schema keeps onlyOverLabel (zod would drop an unknown key)', () => {
    const parsed = editStrokeSchema.parse(stroke({ onlyOverLabel: 5 }));
    expect(parsed).toMatchObject({ kind: 'brush', onlyOverLabel: 5 });
    expect(editStrokeSchema.safeParse(stroke({ onlyOverLabel: -1 })).success).toBe(false);
  });
});
