// What the method table will use: the stroke/result schemas and the per-segmentation session registry,
// including a threshold-limited brush through a session that was given the image values.
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/db/database.js';
import { EditSessionRegistry } from '../../../main/services/editing/registry.js';
import { editResultSchema, editStrokeSchema, newLabelSchema } from '../../../shared/domain/editing/schemas.js';
import type { EditStroke } from '../../../shared/domain/editing/strokes.js';
import { createEditDb, geometryOf, tempDbFile } from '../../helpers/editFixture.js';

describe('edit schemas', () => {
  it('accepts every stroke kind the domain knows and rejects malformed ones', () => {
    const strokes: EditStroke[] = [
      { kind: 'brush', mode: 'paint', label: 1, pathIjk: [[1, 2, 3]], radiusMm: 10, shape: 'disc', plane: 'axial', intensityRange: { lo: -100, hi: 200 } },
      { kind: 'fill', mode: 'erase', label: 0, plane: 'coronal', seedIjk: [1, 2, 3] },
      { kind: 'interpolate', label: 2, plane: 'sagittal', fromSlice: 1, toSlice: 9 },
      { kind: 'deleteInstance', seedIjk: [4, 5, 6] },
      { kind: 'relabel', fromLabel: 1, toLabel: 2 },
    ];
    for (const s of strokes) {
      const parsed: EditStroke = editStrokeSchema.parse(s); // the inferred type is the domain type
      expect(parsed).toEqual(s);
    }
    expect(editStrokeSchema.safeParse({ ...strokes[0], radiusMm: -1 }).success).toBe(false);
    expect(editStrokeSchema.safeParse({ ...strokes[0], pathIjk: [] }).success).toBe(false);
    expect(editStrokeSchema.safeParse({ kind: 'smudge' }).success).toBe(false);
    expect(newLabelSchema.safeParse({ name: 'x', colorRgb: [0, 0, 256], kind: 'organ' }).success).toBe(false);
  });
});

describe('edit session registry', () => {
  it('serves one session per segmentation with its image values, and stores pending snapshots on close', async () => {
    const dims: [number, number, number] = [16, 16, 4];
    const file = tempDbFile();
    const { db, segmentationId } = createEditDb(file, geometryOf(dims), new Uint8Array(16 * 16 * 4));
    const ct = new Int16Array(16 * 16 * 4).map((_, x) => (x % 16 < 8 ? 40 : 700)); // soft tissue left, bone right
    let loads = 0;
    const registry = new EditSessionRegistry(db, () => (loads++, ct), { snapshotEvery: 1, snapshotIdleMs: 60_000 });
    const s = registry.session(segmentationId);
    expect(registry.session(segmentationId)).toBe(s);
    const r = s.applyStroke({ kind: 'brush', mode: 'paint', label: 1, pathIjk: [[8, 8, 1]], radiusMm: 6, shape: 'disc', plane: 'axial', intensityRange: { lo: -100, hi: 200 } });
    expect(editResultSchema.parse(r)).toEqual(r);
    expect(r.changedBoundsIjk?.maxIjk[0]).toBe(7); // stopped at the bone
    const labels = s.labelMap().labels;
    for (let x = 0; x < labels.length; x++) if (labels[x] === 1) expect(ct[x]).toBe(40);
    expect(db.prepare('SELECT COUNT(*) AS n FROM edit_snapshots').get()).toEqual({ n: 0 });
    await registry.closeAll();
    expect(db.prepare('SELECT COUNT(*) AS n FROM edit_snapshots').get()).toEqual({ n: 1 });
    expect(() => s.labelMap()).toThrow(/closed/);
    expect(registry.session(segmentationId)).not.toBe(s);
    expect(loads).toBe(2);
    db.close();
    const again = openDatabase(file);
    expect(new EditSessionRegistry(again).session(segmentationId).history()).toMatchObject({ version: 1, canUndo: true });
    again.close();
  });
});
