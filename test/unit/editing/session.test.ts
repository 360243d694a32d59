// The edit session over the catalog: journaled strokes, undo/redo (also after re-opening), branches, named
// versions, snapshots, label creation, conflicts — plus the property that undo-all/redo-all are exact.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { countLabels, deleteSegmentation } from '../../../main/db/segmentations.js';
import { loadEditedLabelMap, openEditSession, ORIGINAL_VERSION_ID, type EditResult } from '../../../main/services/editing/session.js';
import { AppError } from '../../../shared/errors.js';
import type { EditStroke, VoxelPlane } from '../../../shared/domain/editing/strokes.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { createEditDb, firstDifference, geometryOf, insertSegmentation, tempDbFile } from '../../helpers/editFixture.js';

const DIMS: Vec3 = [24, 20, 12];
const SPACING: Vec3 = [0.8, 1, 2];
const N = DIMS[0] * DIMS[1] * DIMS[2];

function seededLabels(): Uint8Array {
  const labels = new Uint8Array(N);
  // a "model output": a block of liver and a block of spleen
  for (let k = 2; k < 9; k++) for (let j = 3; j < 10; j++) for (let i = 2; i < 12; i++) labels[i + DIMS[0] * (j + DIMS[1] * k)] = 1;
  for (let k = 4; k < 7; k++) for (let j = 12; j < 17; j++) for (let i = 14; i < 20; i++) labels[i + DIMS[0] * (j + DIMS[1] * k)] = 2;
  return labels;
}

function sphere(label: number, at: Vec3, radiusMm = 3, mode: 'paint' | 'erase' = 'paint'): EditStroke {
  return { kind: 'brush', mode, label, pathIjk: [at], radiusMm, shape: 'sphere' };
}

function storedCounts(db: Database, segmentationId: number): Map<number, number> {
  const rows = db.prepare('SELECT value, voxels FROM segmentation_labels WHERE segmentation_id = ? AND voxels > 0').all(segmentationId) as {
    value: number;
    voxels: number;
  }[];
  return new Map(rows.map((r) => [r.value, r.voxels]));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return undefined;
}

describe('edit session', () => {
  it('journals a stroke, returns the region to redraw, and keeps label counts in step through undo/redo', () => {
    const { db, segmentationId } = createEditDb(':memory:', geometryOf(DIMS, SPACING), seededLabels());
    const s = openEditSession(db, segmentationId);
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    const before = s.labelMap().labels.slice();
    const r = s.applyStroke({ kind: 'brush', mode: 'paint', label: 3, pathIjk: [[18, 5, 6]], radiusMm: 2, shape: 'disc', plane: 'axial' });
    expect(r.version).toBe(1);
    expect([r.canUndo, r.canRedo]).toEqual([true, false]);
    expect(r.changedSlicesK).toEqual([6]);
    expect(r.changedBoundsIjk).toEqual({ minIjk: [16, 3, 6], maxIjk: [20, 7, 6] });
    expect(r.bytesStored).toBeGreaterThan(0);
    expect(storedCounts(db, segmentationId)).toEqual(countLabels(s.labelMap().labels));
    // the viewer patches just the reported box: 5×5×1 voxels, the disc's centre row all lesion
    const patch = s.labelsInBounds(r.changedBoundsIjk!);
    expect(patch.length).toBe(25);
    expect([...patch.slice(10, 15)]).toEqual([3, 3, 3, 3, 3]);
    expect(patch[0]).toBe(s.labelMap().labels[16 + DIMS[0] * (3 + DIMS[1] * 6)]);
    expect(() => s.labelsInBounds({ minIjk: [0, 0, 0], maxIjk: [24, 0, 0] })).toThrow(/not a voxel box inside 24×20×12/);
    const u = s.undo();
    expect(u.changedBoundsIjk).toEqual(r.changedBoundsIjk);
    expect(firstDifference(s.labelMap().labels, before)).toBe(-1);
    expect(storedCounts(db, segmentationId)).toEqual(countLabels(before));
    expect(s.undo().changedVoxels).toBe(0); // nothing left to undo: a no-op, not an error
    s.redo();
    expect(s.history()).toEqual({ version: 1, canUndo: true, canRedo: false, strokes: 1 });
    expect(storedCounts(db, segmentationId).get(3)).toBe(r.changedVoxels);
  });

  it('rejects invalid strokes with a message and journals nothing', () => {
    const { db, segmentationId } = createEditDb(':memory:', geometryOf(DIMS, SPACING), seededLabels());
    const s = openEditSession(db, segmentationId);
    expect(() => s.applyStroke(sphere(9, [5, 5, 5]))).toThrow(/Unknown label 9/);
    expect(() => s.applyStroke(sphere(1, [5, 5, 5], -1))).toThrow(/radiusMm must be > 0/);
    expect(() => s.applyStroke({ kind: 'fill', mode: 'paint', label: 1, plane: 'axial', seedIjk: [0, 0, 12] })).toThrow(/outside the grid 24×20×12/);
    expect(() => s.applyStroke({ kind: 'deleteInstance', seedIjk: [0, 0, 0] })).toThrow(/no labelled instance/);
    expect(() => openEditSession(db, segmentationId, { modality: new Int16Array(5) })).toThrow(/image has 5 voxels/);
    expect(() => openEditSession(db, 999)).toThrow(/No segmentation with id 999/);
    expect(db.prepare('SELECT COUNT(*) AS n FROM edit_strokes').get()).toEqual({ n: 0 });
    // a stroke that changes nothing is not a history step
    const noop = s.applyStroke(sphere(1, [6, 6, 5], 1));
    expect([noop.changedVoxels, noop.version, noop.bytesStored]).toEqual([0, 0, 0]);
  });

  it('survives re-opening: same map, same cursor, redo still brings back the undone stroke', () => {
    const file = tempDbFile();
    const { db, segmentationId } = createEditDb(file, geometryOf(DIMS, SPACING), seededLabels());
    const s = openEditSession(db, segmentationId);
    s.applyStroke(sphere(3, [5, 5, 5]));
    s.applyStroke(sphere(2, [10, 10, 6], 4));
    const afterTwo = s.labelMap().labels.slice();
    s.applyStroke(sphere(0, [8, 8, 6], 5, 'erase'));
    const afterThree = s.labelMap().labels.slice();
    s.undo();
    db.close();

    const db2 = openDatabase(file);
    const s2 = openEditSession(db2, segmentationId);
    expect(firstDifference(s2.labelMap().labels, afterTwo)).toBe(-1);
    expect(s2.history()).toEqual({ version: 2, canUndo: true, canRedo: true, strokes: 3 });
    expect(firstDifference(loadEditedLabelMap(db2, segmentationId).labels, afterTwo)).toBe(-1);
    s2.redo();
    expect(firstDifference(s2.labelMap().labels, afterThree)).toBe(-1);
    db2.close();
  });

  it('keeps abandoned branches: named versions on them stay reachable, and a revert is itself undoable', () => {
    const { db, segmentationId } = createEditDb(':memory:', geometryOf(DIMS, SPACING), seededLabels());
    const s = openEditSession(db, segmentationId);
    s.applyStroke(sphere(3, [5, 5, 5]));
    const reviewed = s.nameVersion('  reviewed by Dr Who ');
    expect(reviewed).toMatchObject({ seq: 1, name: 'reviewed by Dr Who' });
    const stateA = s.labelMap().labels.slice();
    s.applyStroke(sphere(2, [12, 12, 6], 4));
    const withB = s.nameVersion('with B');
    const stateB = s.labelMap().labels.slice();
    s.undo();
    s.applyStroke({ kind: 'relabel', fromLabel: 1, toLabel: 2 }); // a new branch from A
    const stateC = s.labelMap().labels.slice();
    expect(s.history().canRedo).toBe(false);

    const r = s.revertTo(withB.id);
    expect(firstDifference(s.labelMap().labels, stateB)).toBe(-1);
    expect(r.version).toBe(4);
    s.undo();
    expect(firstDifference(s.labelMap().labels, stateC)).toBe(-1);
    s.revertTo(reviewed.id);
    expect(firstDifference(s.labelMap().labels, stateA)).toBe(-1);
    expect(s.listVersions().map((v) => v.name)).toEqual(['reviewed by Dr Who', 'with B']);
    const seeded = seededLabels();
    s.revertTo(ORIGINAL_VERSION_ID); // back to the model's output, as one more undoable edit
    expect(firstDifference(s.labelMap().labels, seeded)).toBe(-1);
    s.undo();
    expect(firstDifference(s.labelMap().labels, stateA)).toBe(-1);
    expect(codeOf(() => s.revertTo(12345))).toBe('NOT_FOUND');
    expect(codeOf(() => s.nameVersion('   '))).toBe('INVALID_INPUT');
    expect(storedCounts(db, segmentationId)).toEqual(countLabels(s.labelMap().labels));
  });

  it('snapshots every N strokes (off the stroke path) so re-opening replays at most N-1 deltas', async () => {
    const file = tempDbFile();
    const { db, segmentationId } = createEditDb(file, geometryOf(DIMS, SPACING), seededLabels());
    const s = openEditSession(db, segmentationId, { snapshotEvery: 4 });
    for (let n = 0; n < 10; n++) {
      s.applyStroke(sphere(1 + (n % 3), [3 + 2 * n, 4 + n, 1 + n], 2.5));
      await s.flush(); // stands in for the idle moment after each stroke
    }
    const final = s.labelMap().labels.slice();
    expect(db.prepare('SELECT seq FROM edit_snapshots ORDER BY seq').all()).toEqual([{ seq: 4 }, { seq: 8 }]);
    // Damage strokes 1..8 and the stored map: re-opening must need neither (it starts from the snapshot at 8).
    db.prepare("UPDATE edit_strokes SET delta_blob = X'00' WHERE seq <= 8").run();
    db.prepare("UPDATE segmentations SET labels_blob = X'00'").run();
    db.close();
    const db2 = openDatabase(file);
    expect(firstDifference(openEditSession(db2, segmentationId).labelMap().labels, final)).toBe(-1);
    db2.close();
  });

  it('takes the snapshot on its own once editing pauses, and not while strokes keep coming', async () => {
    const { db, segmentationId } = createEditDb(':memory:', geometryOf(DIMS, SPACING), seededLabels());
    const s = openEditSession(db, segmentationId, { snapshotEvery: 2, snapshotIdleMs: 30 });
    const snapshots = (): unknown[] => db.prepare('SELECT seq FROM edit_snapshots ORDER BY seq').all();
    s.applyStroke(sphere(3, [5, 5, 5]));
    s.applyStroke(sphere(3, [15, 5, 5]));
    s.applyStroke(sphere(2, [15, 15, 5]));
    expect(snapshots()).toEqual([]); // due since stroke 2, but no idle moment yet
    await new Promise((resolve) => setTimeout(resolve, 300));
    await s.flush();
    expect(snapshots()).toEqual([{ seq: 3 }]);
    s.applyStroke(sphere(1, [10, 10, 8]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(snapshots()).toEqual([{ seq: 3 }]); // one delta from a snapshot: nothing due
    s.close();
  });

  it('stores bytes in proportion to the voxels changed, not to the volume size', () => {
    const bytesFor = (dims: Vec3): number => {
      const db = openDatabase(':memory:');
      const segmentationId = insertSegmentation(db, geometryOf(dims, [0.7, 0.7, 1]), new Uint8Array(dims[0] * dims[1] * dims[2]));
      const r = openEditSession(db, segmentationId).applyStroke(sphere(1, [20, 20, 10], 6));
      db.close();
      return r.bytesStored;
    };
    const small = bytesFor([40, 40, 20]);
    const large = bytesFor([400, 400, 40]); // 100× the voxels
    // Only the varint gaps between rows widen with the row length; the run count is the same.
    expect(large).toBeLessThan(small * 1.3);
    expect(small).toBeLessThan(1500);
  });

  it('creates labels with name, colour and kind that strokes can then use, also after re-opening', () => {
    const file = tempDbFile();
    const { db, segmentationId } = createEditDb(file, geometryOf(DIMS, SPACING), seededLabels());
    const s = openEditSession(db, segmentationId);
    const tumour = s.createLabel({ name: 'tumour', colorRgb: [255, 0, 255], kind: 'lesion' });
    expect(tumour).toEqual({ value: 4, name: 'tumour', colorRgb: [255, 0, 255], kind: 'lesion' });
    expect(s.applyStroke(sphere(4, [6, 6, 6])).changedVoxels).toBeGreaterThan(0);
    expect(() => s.createLabel({ name: 'Tumour', colorRgb: [1, 2, 3], kind: 'lesion' })).toThrow(/already exists/);
    expect(() => s.createLabel({ name: 'x', colorRgb: [1, 2, 300], kind: 'lesion' })).toThrow(/colorRgb/);
    expect(() => s.createLabel({ name: 'x', colorRgb: [1, 2, 3], kind: 'bone' as never })).toThrow(/kind must be/);
    // Without a kind a hand-made label is 'other', even when its name sounds like a lesion.
    expect(s.createLabel({ name: 'new tumour?', colorRgb: [1, 2, 3] })).toMatchObject({ value: 5, kind: 'other' });
    db.close();
    const db2 = openDatabase(file);
    const s2 = openEditSession(db2, segmentationId);
    expect(s2.labelMap().table.find((l) => l.value === 4)).toEqual(tumour);
    expect(storedCounts(db2, segmentationId)).toEqual(countLabels(s2.labelMap().labels));
    db2.close();
  });

  it('goes away with its segmentation (journal, strokes, snapshots and versions cascade)', async () => {
    const { db, segmentationId } = createEditDb(':memory:', geometryOf(DIMS, SPACING), seededLabels());
    const s = openEditSession(db, segmentationId, { snapshotEvery: 1 });
    s.applyStroke(sphere(3, [5, 5, 5]));
    s.nameVersion('v1');
    await s.flush();
    deleteSegmentation(db, segmentationId);
    for (const table of ['edit_journals', 'edit_strokes', 'edit_snapshots', 'edit_versions']) {
      expect(db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
    }
  });

  it('refuses to edit over another session that moved the same journal', () => {
    const { db, segmentationId } = createEditDb(':memory:', geometryOf(DIMS, SPACING), seededLabels());
    const a = openEditSession(db, segmentationId);
    const b = openEditSession(db, segmentationId);
    a.applyStroke(sphere(3, [5, 5, 5]));
    expect(codeOf(() => b.applyStroke(sphere(3, [15, 5, 5])))).toBe('CONFLICT');
    expect(codeOf(() => b.nameVersion('stale'))).toBe('CONFLICT');
    expect(db.prepare('SELECT COUNT(*) AS n FROM edit_strokes').get()).toEqual({ n: 1 });
  });
});

// ---- property: random edit sequences ------------------------------------------------------------------

const planeArb = fc.constantFrom<VoxelPlane>('axial', 'coronal', 'sagittal');
const voxelArb = fc.tuple(fc.integer({ min: 0, max: DIMS[0] - 1 }), fc.integer({ min: 0, max: DIMS[1] - 1 }), fc.integer({ min: 0, max: DIMS[2] - 1 }));
const pointArb = fc.tuple(
  fc.double({ min: -2, max: DIMS[0] + 1, noNaN: true }),
  fc.double({ min: -2, max: DIMS[1] + 1, noNaN: true }),
  fc.double({ min: 0, max: DIMS[2] - 1, noNaN: true }),
);

const strokeArb: fc.Arbitrary<EditStroke> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('brush' as const),
      mode: fc.constantFrom('paint' as const, 'erase' as const),
      label: fc.integer({ min: 0, max: 3 }),
      pathIjk: fc.array(pointArb, { minLength: 1, maxLength: 4 }),
      radiusMm: fc.double({ min: 0.3, max: 5, noNaN: true }),
      shape: fc.constantFrom('disc' as const, 'sphere' as const),
      plane: planeArb,
      overwriteOtherLabels: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      mode: fc.constantFrom('paint' as const, 'erase' as const),
      label: fc.integer({ min: 0, max: 3 }),
      plane: planeArb,
      seedIjk: voxelArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteInstance' as const), seedIjk: voxelArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('relabel' as const), fromLabel: fc.integer({ min: 1, max: 3 }), toLabel: fc.integer({ min: 0, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('interpolate' as const),
      label: fc.integer({ min: 1, max: 3 }),
      plane: planeArb,
      fromSlice: fc.integer({ min: 0, max: 11 }),
      toSlice: fc.integer({ min: 0, max: 11 }),
    }),
  },
) as fc.Arbitrary<EditStroke>;

type Op = { op: 'stroke'; stroke: EditStroke } | { op: 'undo' } | { op: 'redo' } | { op: 'name' } | { op: 'revert'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: strokeArb.map((stroke) => ({ op: 'stroke' as const, stroke })) },
  { weight: 3, arbitrary: fc.constant({ op: 'undo' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'redo' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'name' as const }) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ op: 'revert' as const, pick })) },
);

/** Every voxel that differs between before and after lies inside the reported region. */
function expectRegionCovers(before: Uint8Array, after: ArrayLike<number>, r: EditResult): void {
  let changed = 0;
  for (let x = 0; x < N; x++) {
    if (before[x] === after[x]) continue;
    changed++;
    const i = x % DIMS[0];
    const j = Math.floor(x / DIMS[0]) % DIMS[1];
    const k = Math.floor(x / (DIMS[0] * DIMS[1]));
    const b = r.changedBoundsIjk!;
    expect(i >= b.minIjk[0] && i <= b.maxIjk[0] && j >= b.minIjk[1] && j <= b.maxIjk[1] && k >= b.minIjk[2] && k <= b.maxIjk[2]).toBe(true);
    expect(r.changedSlicesK).toContain(k);
  }
  if (changed === 0) expect(r.changedVoxels).toBe(0);
}

describe('random edit sequences (property)', () => {
  it('undo-all returns the original map bit for bit, redo-all the final one, and a re-opened session agrees', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 6 }), async (ops, snapshotEvery) => {
        const { db, segmentationId } = createEditDb(':memory:', geometryOf(DIMS, SPACING), seededLabels());
        const s = openEditSession(db, segmentationId, { snapshotEvery });
        const original = s.labelMap().labels.slice() as Uint8Array;
        // The state seen at each journal position: coming back to a position must give exactly that state.
        const seen = new Map<number, Uint8Array>([[0, original]]);
        const versions: { id: number; seq: number }[] = [];
        for (const op of ops) {
          const before = s.labelMap().labels.slice() as Uint8Array;
          let r: EditResult | undefined;
          let expected: Uint8Array | undefined;
          try {
            if (op.op === 'stroke') r = s.applyStroke(op.stroke);
            else if (op.op === 'undo') r = s.undo();
            else if (op.op === 'redo') r = s.redo();
            else if (op.op === 'name') versions.push(s.nameVersion(`v${versions.length}`));
            else if (versions.length > 0) {
              const v = versions[op.pick % versions.length];
              expected = seen.get(v.seq);
              r = s.revertTo(v.id);
            }
          } catch (err) {
            // Strokes the domain refuses (no label at the seed, empty interpolation slice…) change nothing.
            if (!(err instanceof AppError) || err.code !== 'INVALID_INPUT') throw err;
            expect(firstDifference(s.labelMap().labels, before)).toBe(-1);
          }
          if (r) expectRegionCovers(before, s.labelMap().labels, r);
          await s.flush(); // let background snapshots land so re-opening below starts from them
          const now = s.labelMap().labels;
          if (expected) expect(firstDifference(now, expected)).toBe(-1);
          const earlier = seen.get(s.history().version);
          if (earlier) expect(firstDifference(now, earlier)).toBe(-1);
          else seen.set(s.history().version, now.slice() as Uint8Array);
        }
        const current = s.labelMap().labels.slice();
        expect(storedCounts(db, segmentationId)).toEqual(countLabels(current));
        expect(firstDifference(openEditSession(db, segmentationId).labelMap().labels, current)).toBe(-1);

        while (s.history().canRedo) s.redo();
        const final = s.labelMap().labels.slice();
        while (s.history().canUndo) s.undo();
        expect(firstDifference(s.labelMap().labels, original)).toBe(-1);
        expect(firstDifference(openEditSession(db, segmentationId).labelMap().labels, original)).toBe(-1);
        while (s.history().canRedo) s.redo();
        expect(firstDifference(s.labelMap().labels, final)).toBe(-1);
        expect(storedCounts(db, segmentationId)).toEqual(countLabels(final));
        db.close();
      }),
      { numRuns: 150 },
    );
  });
});
