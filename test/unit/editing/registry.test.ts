// What the method table will use: the stroke/result schemas and the per-segmentation session registry,
// including a threshold-limited brush through a session that was given the image values, the registry's bounds
// (least recently used and idle sessions released, snapshots stored first) and re-opening after a CONFLICT.
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/db/database.js';
import { EditSessionRegistry } from '../../../main/services/editing/registry.js';
import { editResultSchema, editStrokeSchema, newLabelSchema } from '../../../shared/domain/editing/schemas.js';
import type { EditStroke } from '../../../shared/domain/editing/strokes.js';
import { createEditDb, firstDifference, geometryOf, insertSegmentation, tempDbFile } from '../../helpers/editFixture.js';

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
    const r = s.applyStroke({
      kind: 'brush',
      mode: 'paint',
      label: 1,
      pathIjk: [[8, 8, 1]],
      radiusMm: 6,
      shape: 'disc',
      plane: 'axial',
      intensityRange: { lo: -100, hi: 200 },
    });
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

describe('edit session registry: bounded memory', () => {
  const dims: [number, number, number] = [16, 16, 4];
  const paint = (i: number) => ({ kind: 'brush', mode: 'paint', label: 1, pathIjk: [[i, 8, 1]], radiusMm: 2, shape: 'disc', plane: 'axial' }) as EditStroke;
  const snapshots = (db: ReturnType<typeof openDatabase>, segmentationId: number): number =>
    (db.prepare('SELECT COUNT(*) AS n FROM edit_snapshots WHERE segmentation_id = ?').get(segmentationId) as { n: number }).n;

  it('keeps at most maxSessions: the least recently used goes, its pending snapshot stored first, and reopens intact', async () => {
    const file = tempDbFile();
    const { db, segmentationId: a } = createEditDb(file, geometryOf(dims), new Uint8Array(16 * 16 * 4));
    const b = insertSegmentation(db, geometryOf(dims), new Uint8Array(16 * 16 * 4));
    const c = insertSegmentation(db, geometryOf(dims), new Uint8Array(16 * 16 * 4));
    const registry = new EditSessionRegistry(db, undefined, { maxSessions: 2, idleMs: Infinity, snapshotEvery: 1, snapshotIdleMs: 60_000 });
    const sa = registry.session(a);
    sa.applyStroke(paint(4));
    const painted = sa.labelMap().labels.slice();
    registry.session(b);
    registry.session(a); // a is now the most recent: b is the one to go next
    registry.session(c);
    expect(registry.size).toBe(2);
    expect(registry.peek(b)).toBeUndefined();
    expect(registry.peek(a)).toBe(sa);
    registry.session(b); // now a is least recent (c, then b used after it)
    expect(registry.peek(a)).toBeUndefined();
    await registry.closeAll();
    expect(() => sa.labelMap()).toThrow(/closed/); // its label map was let go, once its snapshot was stored
    expect(snapshots(db, a)).toBe(1); // the idle snapshot was due in a minute: stored on the way out
    const again = new EditSessionRegistry(db);
    expect(firstDifference(again.session(a).labelMap().labels, painted)).toBe(-1);
    expect(again.session(a).history()).toMatchObject({ version: 1, canUndo: true });
    await again.closeAll();
    db.close();
  });

  it('releases sessions left idle (clock passed in, and on its own timer)', async () => {
    const { db, segmentationId } = createEditDb(tempDbFile(), geometryOf(dims), new Uint8Array(16 * 16 * 4));
    let nowMs = 1_000;
    const registry = new EditSessionRegistry(db, undefined, { idleMs: 60_000, now: () => nowMs });
    const s = registry.session(segmentationId);
    nowMs += 59_000;
    registry.evictIdle();
    expect(registry.peek(segmentationId)).toBe(s);
    nowMs += 2_000;
    registry.evictIdle();
    expect(registry.peek(segmentationId)).toBeUndefined();
    await registry.closeAll();

    const timed = new EditSessionRegistry(db, undefined, { idleMs: 50 });
    timed.session(segmentationId).applyStroke(paint(3));
    const t0 = Date.now();
    while (timed.size > 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(timed.size).toBe(0);
    await timed.closeAll();
    expect(new EditSessionRegistry(db).session(segmentationId).history().version).toBe(1);
    db.close();
  });

  it('reopen replaces a stale session by one read from the journal, keeping its image values', async () => {
    const file = tempDbFile();
    const { db, segmentationId } = createEditDb(file, geometryOf(dims), new Uint8Array(16 * 16 * 4));
    const ct = new Int16Array(16 * 16 * 4).fill(40);
    let loads = 0;
    const registry = new EditSessionRegistry(db, () => (loads++, ct));
    const mine = registry.session(segmentationId);
    // Another process (its own connection) edits the same segmentation.
    const other = openDatabase(file);
    new EditSessionRegistry(other).session(segmentationId).applyStroke(paint(5));
    expect(() => mine.applyStroke(paint(9))).toThrow(/edited elsewhere/);
    await registry.reopen(segmentationId);
    const fresh = registry.session(segmentationId);
    expect(fresh).not.toBe(mine);
    expect(fresh.history().version).toBe(1);
    expect(registry.hasModality(segmentationId)).toBe(true);
    expect(loads).toBe(1);
    expect(fresh.applyStroke(paint(9)).version).toBe(2);
    await registry.closeAll();
    other.close();
    db.close();
  });
});
