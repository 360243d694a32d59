// Mask editing on a stored segmentation: applies strokes to the label map held here (the renderer never owns
// the truth), journals each as a delta in one synchronous=FULL transaction, and walks the history tree for
// undo, redo and named versions. Re-opening replays from the nearest snapshot (taken when idle) to the cursor.
import { deflate } from 'node:zlib';
import { promisify } from 'node:util';
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import type { LabelInfo, LabelKind, LabelMap } from '../../../shared/domain/labelMap.js';
import { CREATED_LABEL_KIND, LABEL_KINDS, isLabelKind } from '../../../shared/domain/labelTable.js';
import { voxelCount, type Vec3, type VolumeGeometry, type VoxelArray } from '../../../shared/domain/volume.js';
import {
  applyDelta,
  changedRegion,
  invertDelta,
  labelCountChanges,
  type ChangedRegion,
  type LabelArray,
  type LabelDelta,
} from '../../../shared/domain/editing/delta.js';
import { strokeDelta } from '../../../shared/domain/editing/operations.js';
import { validateStroke, type EditStroke } from '../../../shared/domain/editing/strokes.js';
import { listSegmentations, loadSegmentation, seriesIdOfSegmentation, type SegmentationSummary } from '../../db/segmentations.js';
import {
  addLabelCounts,
  ensureJournal,
  insertLabel,
  insertStroke,
  insertVersion,
  listVersions,
  markEntered,
  readCursor,
  readDelta,
  readJournal,
  readSnapshot,
  setCursor,
  snapshotEncodingOf,
  writeSnapshot,
  type EditVersion,
  type JournalNode,
  type JournalState,
} from '../../db/edits.js';

export type { EditVersion };

export const DEFAULT_SNAPSHOT_EVERY = 50;
export const DEFAULT_SNAPSHOT_IDLE_MS = 1500;
/** revertTo(ORIGINAL_VERSION_ID) goes back to the map as stored before any edit. */
export const ORIGINAL_VERSION_ID = 0;

const deflateAsync = promisify(deflate);

export interface EditSessionOptions {
  /** Modality values on the segmentation's grid, for threshold-limited strokes. */
  modality?: VoxelArray;
  /** A full snapshot is stored once re-opening the current state would replay this many deltas. */
  snapshotEvery?: number;
  /** The snapshot waits until no edit came for this long, so it never delays a stroke. Default 1500 ms. */
  snapshotIdleMs?: number;
}

export interface EditResult extends ChangedRegion {
  /** The journal position now current (stroke sequence number; 0 = the map as stored before any edit). */
  version: number;
  canUndo: boolean;
  canRedo: boolean;
}

export interface StrokeResult extends EditResult {
  /** Bytes the delta takes in the database (0 when the stroke changed nothing and was not journaled). */
  bytesStored: number;
}

export interface NewLabel {
  name: string;
  colorRgb: [number, number, number];
  /** Absent: CREATED_LABEL_KIND. */
  kind?: LabelKind;
}

interface Materialized {
  labels: LabelArray;
  journal: JournalState;
}

/** Builds the label map at the journal's cursor: nearest snapshot (or the stored map) plus the deltas below it. */
function materialize(db: Database, segmentationId: number, base: () => LabelArray, n: number): Materialized {
  const journal = readJournal(db, segmentationId) ?? { cursorSeq: 0, tick: 0, nodes: [] };
  const bySeq = new Map(journal.nodes.map((node) => [node.seq, node]));
  const path: number[] = [];
  let x = journal.cursorSeq;
  while (x !== 0 && !bySeq.get(x)?.hasSnapshot) {
    const node = bySeq.get(x);
    if (!node) throw new AppError('IO_ERROR', `Edit journal of segmentation ${segmentationId} is damaged: stroke ${x} is missing.`);
    path.push(x);
    x = node.parentSeq;
  }
  const labels = x === 0 ? base() : readSnapshot(db, segmentationId, x, n);
  for (const seq of path.reverse()) applyDelta(labels, readDelta(db, segmentationId, seq));
  return { labels, journal };
}

/** The segmentation's geometry and label table without inflating its stored map (a snapshot may serve instead). */
function storedSummary(db: Database, segmentationId: number): SegmentationSummary {
  const seriesId = seriesIdOfSegmentation(db, segmentationId);
  const summary = seriesId !== undefined && listSegmentations(db, seriesId).find((s) => s.id === segmentationId);
  if (!summary) throw new AppError('NOT_FOUND', `No segmentation with id ${segmentationId}.`);
  return summary;
}

function storedLabels(db: Database, segmentationId: number): () => LabelArray {
  return () => loadSegmentation(db, segmentationId).labelMap.labels;
}

/** The label map as last committed by editing (the stored map when never edited). Read-only; opens no session. */
export function loadEditedLabelMap(db: Database, segmentationId: number): LabelMap {
  const summary = storedSummary(db, segmentationId);
  const { labels } = materialize(db, segmentationId, storedLabels(db, segmentationId), voxelCount(summary.geometry));
  return { ...summary.geometry, labels, table: summary.labels.map(({ voxels: _v, ...info }) => info) };
}

export function openEditSession(db: Database, segmentationId: number, options: EditSessionOptions = {}): EditSession {
  return new EditSession(db, segmentationId, options);
}

export class EditSession {
  private labels: LabelArray = new Uint8Array(0);
  private table: LabelInfo[];
  private readonly geometry: VolumeGeometry;
  private readonly modality?: VoxelArray;
  private readonly snapshotEvery: number;
  private readonly snapshotIdleMs: number;
  private snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  private nodes = new Map<number, JournalNode>();
  private children = new Map<number, number[]>();
  private cursor = 0;
  private tick = 0;
  private nextSeq = 1;
  private closed = false;
  private readonly pendingSnapshots = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    readonly segmentationId: number,
    options: EditSessionOptions,
  ) {
    // A committed edit must survive power loss, not only a process crash: sync the WAL on every commit.
    db.pragma('synchronous = FULL');
    const summary = storedSummary(db, segmentationId);
    const { dims, spacingMm, originLps, directionLps } = summary.geometry;
    this.geometry = { dims, spacingMm, originLps, directionLps };
    this.table = summary.labels.map(({ voxels: _v, ...info }) => info);
    if (options.modality && options.modality.length !== voxelCount(this.geometry)) {
      throw new AppError('INVALID_INPUT', `The image has ${options.modality.length} voxels but the segmentation's grid has ${voxelCount(this.geometry)}.`);
    }
    this.modality = options.modality;
    const every = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    if (!Number.isInteger(every) || every < 1) throw new AppError('INVALID_INPUT', `snapshotEvery must be a whole number ≥ 1 (got ${every}).`);
    this.snapshotEvery = every;
    this.snapshotIdleMs = options.snapshotIdleMs ?? DEFAULT_SNAPSHOT_IDLE_MS;
    ensureJournal(db, segmentationId);
    this.load();
  }

  /** The live label map (do not write to it; edits go through this session). */
  labelMap(): LabelMap {
    this.checkOpen();
    return { ...this.geometry, labels: this.labels, table: this.table.map((l) => ({ ...l })) };
  }

  /**
   * A copy of the labels inside inclusive voxel bounds (i fastest), so the viewer can patch the region an edit
   * reported instead of fetching the whole map again.
   */
  labelsInBounds(bounds: { minIjk: Vec3; maxIjk: Vec3 }): LabelArray {
    this.checkOpen();
    const { dims } = this.geometry;
    const { minIjk: lo, maxIjk: hi } = bounds;
    for (let a = 0; a < 3; a++) {
      if (!Number.isInteger(lo[a]) || !Number.isInteger(hi[a]) || lo[a] < 0 || hi[a] >= dims[a] || lo[a] > hi[a]) {
        throw new AppError('INVALID_INPUT', `Bounds [${lo.join(', ')}]..[${hi.join(', ')}] are not a voxel box inside ${dims.join('×')}.`);
      }
    }
    const nx = hi[0] - lo[0] + 1;
    const ny = hi[1] - lo[1] + 1;
    const nz = hi[2] - lo[2] + 1;
    const out = this.labels instanceof Uint8Array ? new Uint8Array(nx * ny * nz) : new Uint16Array(nx * ny * nz);
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        const from = lo[0] + dims[0] * (lo[1] + j + dims[1] * (lo[2] + k));
        out.set(this.labels.subarray(from, from + nx), nx * (j + ny * k));
      }
    }
    return out;
  }

  history(): { version: number; canUndo: boolean; canRedo: boolean; strokes: number } {
    return { version: this.cursor, canUndo: this.cursor !== 0, canRedo: this.redoTarget() !== undefined, strokes: this.nodes.size };
  }

  applyStroke(stroke: EditStroke): StrokeResult {
    this.checkOpen();
    validateStroke(stroke, {
      geometry: this.geometry,
      knownLabels: new Set(this.table.map((l) => l.value)),
      hasModality: this.modality !== undefined,
    });
    const delta = strokeDelta({ geometry: this.geometry, labels: this.labels, modality: this.modality }, stroke);
    return this.commitNewNode(stroke.kind, stroke, delta);
  }

  undo(): EditResult {
    this.checkOpen();
    if (this.cursor === 0) return this.result(null);
    const from = this.cursor;
    const node = this.node(from);
    const delta = invertDelta(readDelta(this.db, this.segmentationId, from));
    this.transaction(() => {
      setCursor(this.db, this.segmentationId, node.parentSeq, this.tick);
      addLabelCounts(this.db, this.segmentationId, labelCountChanges(delta));
    });
    this.cursor = node.parentSeq;
    this.applyInMemory([delta]);
    this.scheduleSnapshot();
    return this.result(delta);
  }

  redo(): EditResult {
    this.checkOpen();
    const target = this.redoTarget();
    if (target === undefined) return this.result(null);
    const delta = readDelta(this.db, this.segmentationId, target);
    const tick = this.tick + 1;
    this.transaction(() => {
      markEntered(this.db, this.segmentationId, target, tick);
      setCursor(this.db, this.segmentationId, target, tick);
      addLabelCounts(this.db, this.segmentationId, labelCountChanges(delta));
    });
    this.tick = tick;
    this.node(target).enteredTick = tick;
    this.cursor = target;
    this.applyInMemory([delta]);
    this.scheduleSnapshot();
    return this.result(delta);
  }

  /** Names the current state; the name is a journal position, not a copy. */
  nameVersion(name: string): EditVersion {
    this.checkOpen();
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (trimmed.length === 0 || trimmed.length > 200) throw new AppError('INVALID_INPUT', 'A version name needs 1 to 200 characters.');
    return this.transaction(() => insertVersion(this.db, this.segmentationId, this.cursor, trimmed));
  }

  listVersions(): EditVersion[] {
    return listVersions(this.db, this.segmentationId);
  }

  /**
   * Returns the map to a named version as a new, undoable edit: nothing after the version is discarded, and
   * Ctrl+Z brings back the state before the revert. versionId ORIGINAL_VERSION_ID (0) is the map as stored
   * before any edit (e.g. the model's output).
   */
  revertTo(versionId: number): StrokeResult {
    this.checkOpen();
    const version =
      versionId === ORIGINAL_VERSION_ID ? { id: ORIGINAL_VERSION_ID, seq: 0, name: 'original' } : this.listVersions().find((v) => v.id === versionId);
    if (!version) throw new AppError('NOT_FOUND', `Segmentation ${this.segmentationId} has no version ${versionId}.`);
    if (version.seq === this.cursor) return { ...this.result(null), bytesStored: 0 };
    const steps = this.pathDeltas(this.cursor, version.seq);
    // Net effect of the walk: the union of touched voxels, old values now, new values after the walk.
    const touched = unionIndices(steps.map((d) => d.indices));
    const oldValues = new Uint16Array(touched.length);
    for (let p = 0; p < touched.length; p++) oldValues[p] = this.labels[touched[p]];
    this.applyInMemory(steps);
    const keep: number[] = [];
    for (let p = 0; p < touched.length; p++) if (this.labels[touched[p]] !== oldValues[p]) keep.push(p);
    const net: LabelDelta = {
      indices: Uint32Array.from(keep, (p) => touched[p]),
      oldValues: Uint16Array.from(keep, (p) => oldValues[p]),
      newValues: Uint16Array.from(keep, (p) => this.labels[touched[p]]),
    };
    // Memory now holds the version's state; put it back so commitNewNode starts from the committed state.
    applyDelta(this.labels, invertDelta(net));
    return this.commitNewNode('revert', { kind: 'revert', versionId, name: version.name, toSeq: version.seq }, net);
  }

  /** Adds a label to the segmentation's table (not part of undo: an empty label changes no voxel). */
  createLabel(input: NewLabel): LabelInfo {
    this.checkOpen();
    const name = typeof input?.name === 'string' ? input.name.trim() : '';
    if (name.length === 0 || name.length > 200) throw new AppError('INVALID_INPUT', 'A label name needs 1 to 200 characters.');
    if (this.table.some((l) => l.name.toLowerCase() === name.toLowerCase())) throw new AppError('INVALID_INPUT', `A label named "${name}" already exists.`);
    const rgb = input.colorRgb;
    if (!Array.isArray(rgb) || rgb.length !== 3 || rgb.some((c) => !Number.isInteger(c) || c < 0 || c > 255)) {
      throw new AppError('INVALID_INPUT', 'colorRgb must be three whole numbers 0..255.');
    }
    const kind = input.kind ?? CREATED_LABEL_KIND;
    if (!isLabelKind(kind)) throw new AppError('INVALID_INPUT', `kind must be ${LABEL_KINDS.join(', ')} (got ${String(kind)}).`);
    const value = Math.max(0, ...this.table.map((l) => l.value)) + 1;
    const maxValue = this.labels instanceof Uint8Array ? 255 : 65535;
    if (value > maxValue) throw new AppError('INVALID_INPUT', `This segmentation stores at most ${maxValue} labels.`);
    const info: LabelInfo = { value, name, colorRgb: [rgb[0], rgb[1], rgb[2]], kind };
    this.transaction(() => insertLabel(this.db, this.segmentationId, info));
    this.table = [...this.table, info];
    return { ...info };
  }

  /** Takes a due snapshot now instead of at the next idle moment, and resolves once snapshots are stored. */
  async flush(): Promise<void> {
    if (this.snapshotTimer !== undefined) {
      clearTimeout(this.snapshotTimer);
      this.snapshotTimer = undefined;
      this.snapshotInBackground();
    }
    while (this.pendingSnapshots.size > 0) await Promise.all([...this.pendingSnapshots]);
  }

  close(): void {
    if (this.snapshotTimer !== undefined) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = undefined;
    this.closed = true;
    // Let the map go even if a caller still holds the session object.
    this.labels = new Uint8Array(0);
  }

  // ---- internals ----------------------------------------------------------------------------------------

  private commitNewNode(kind: string, params: unknown, delta: LabelDelta): StrokeResult {
    if (delta.indices.length === 0) return { ...this.result(null), bytesStored: 0 };
    const seq = this.nextSeq;
    const parentSeq = this.cursor;
    const depth = parentSeq === 0 ? 1 : this.node(parentSeq).depth + 1;
    const tick = this.tick + 1;
    const bytesStored = this.transaction(() => {
      const bytes = insertStroke(this.db, this.segmentationId, { seq, parentSeq, depth, enteredTick: tick, kind, params, delta });
      setCursor(this.db, this.segmentationId, seq, tick);
      addLabelCounts(this.db, this.segmentationId, labelCountChanges(delta));
      return bytes;
    });
    this.nextSeq = seq + 1;
    this.tick = tick;
    const node: JournalNode = { seq, parentSeq, depth, enteredTick: tick, hasSnapshot: false };
    this.addNode(node);
    this.cursor = seq;
    this.applyInMemory([delta]);
    this.scheduleSnapshot();
    return { ...this.result(delta), bytesStored };
  }

  /** Deltas re-opening the current state would replay (stops counting at snapshotEvery). */
  private replayLength(): number {
    let n = 0;
    for (let x = this.cursor; x !== 0 && n < this.snapshotEvery; n++) {
      const node = this.node(x);
      if (node.hasSnapshot) break;
      x = node.parentSeq;
    }
    return n;
  }

  /** (Re)arms the idle timer when the current state is snapshotEvery deltas away from a snapshot. */
  private scheduleSnapshot(): void {
    if (this.snapshotTimer !== undefined) clearTimeout(this.snapshotTimer);
    this.snapshotTimer = undefined;
    if (this.replayLength() < this.snapshotEvery) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined;
      this.snapshotInBackground();
    }, this.snapshotIdleMs);
    // A pending snapshot is an optimisation; it must not keep a CLI or test process alive.
    this.snapshotTimer.unref?.();
  }

  /**
   * A snapshot is only a cache for re-opening, so it stays off the stroke's path: the map is copied (the state
   * at the cursor) and deflated on the thread pool, then stored in its own transaction. If that fails, or the
   * process dies first, re-opening replays a few more deltas; every stroke is already committed.
   */
  private snapshotInBackground(): void {
    if (this.closed || this.replayLength() < this.snapshotEvery) return;
    const node = this.node(this.cursor);
    const copy = this.labels.slice();
    const encoding = snapshotEncodingOf(copy);
    const task = deflateAsync(copy, { level: 1 })
      .then((blob) => {
        this.db.transaction(() => writeSnapshot(this.db, this.segmentationId, node.seq, encoding, blob)).immediate();
        node.hasSnapshot = true;
      })
      .catch(() => undefined)
      .finally(() => this.pendingSnapshots.delete(task));
    this.pendingSnapshots.add(task);
  }

  /** Runs fn in one IMMEDIATE transaction after checking no other session moved this journal. */
  private transaction<T>(fn: () => T): T {
    return this.db
      .transaction(() => {
        const stored = readCursor(this.db, this.segmentationId);
        if (stored !== this.cursor) {
          throw new AppError(
            'CONFLICT',
            `Segmentation ${this.segmentationId} was edited elsewhere (journal at ${stored}, this session at ${this.cursor}); re-open it to continue.`,
          );
        }
        return fn();
      })
      .immediate();
  }

  private applyInMemory(deltas: LabelDelta[]): void {
    try {
      for (const d of deltas) applyDelta(this.labels, d);
    } catch (err) {
      // The committed journal is the truth: rebuild from it rather than carry a map that disagrees.
      this.load();
      throw err;
    }
  }

  private load(): void {
    const { labels, journal } = materialize(this.db, this.segmentationId, storedLabels(this.db, this.segmentationId), voxelCount(this.geometry));
    this.labels = labels;
    this.nodes = new Map();
    this.children = new Map();
    for (const node of journal.nodes) this.addNode(node);
    this.cursor = journal.cursorSeq;
    this.tick = journal.tick;
    this.nextSeq = journal.nodes.length === 0 ? 1 : journal.nodes[journal.nodes.length - 1].seq + 1;
  }

  private addNode(node: JournalNode): void {
    this.nodes.set(node.seq, node);
    const siblings = this.children.get(node.parentSeq);
    if (siblings) siblings.push(node.seq);
    else this.children.set(node.parentSeq, [node.seq]);
  }

  private node(seq: number): JournalNode {
    const node = this.nodes.get(seq);
    if (!node) throw new AppError('INTERNAL', `Edit journal has no stroke ${seq}.`);
    return node;
  }

  /** Redo follows the child the cursor most recently left (the latest entered), whatever branch it is on. */
  private redoTarget(): number | undefined {
    let best: JournalNode | undefined;
    for (const seq of this.children.get(this.cursor) ?? []) {
      const node = this.node(seq);
      if (!best || node.enteredTick > best.enteredTick || (node.enteredTick === best.enteredTick && node.seq > best.seq)) best = node;
    }
    return best?.seq;
  }

  /** Deltas that walk the tree from one node to another: up to the common ancestor (inverted), then down. */
  private pathDeltas(from: number, to: number): LabelDelta[] {
    const ancestors = (x: number): number[] => {
      const out = [x];
      while (x !== 0) {
        x = this.node(x).parentSeq;
        out.push(x);
      }
      return out;
    };
    const up = ancestors(from);
    const down = ancestors(to);
    const common = down.find((x) => up.includes(x)) ?? 0;
    const steps: LabelDelta[] = [];
    for (const x of up) {
      if (x === common) break;
      steps.push(invertDelta(readDelta(this.db, this.segmentationId, x)));
    }
    const downward = down.slice(0, down.indexOf(common)).reverse();
    for (const x of downward) steps.push(readDelta(this.db, this.segmentationId, x));
    return steps;
  }

  private result(delta: LabelDelta | null): EditResult {
    const region = delta ? changedRegion(delta, this.geometry.dims) : { changedBoundsIjk: null, changedSlicesK: [], changedVoxels: 0 };
    const h = this.history();
    return { ...region, version: h.version, canUndo: h.canUndo, canRedo: h.canRedo };
  }

  private checkOpen(): void {
    if (this.closed) throw new AppError('INVALID_INPUT', `The edit session of segmentation ${this.segmentationId} is closed.`);
  }
}

function unionIndices(lists: Uint32Array[]): Uint32Array {
  let total = 0;
  for (const l of lists) total += l.length;
  const all = new Uint32Array(total);
  let p = 0;
  for (const l of lists) {
    all.set(l, p);
    p += l.length;
  }
  all.sort();
  let m = 0;
  for (let q = 0; q < all.length; q++) if (m === 0 || all[q] !== all[m - 1]) all[m++] = all[q];
  return all.slice(0, m);
}
