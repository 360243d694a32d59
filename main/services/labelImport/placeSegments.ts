// Puts imported segments (DICOM SEG frames, .seg.nrrd slices) onto a series grid by their own positions in patient
// space, nearest voxel; segments that overlap go to separate label maps (layers), so no voxel of any segment is lost.
import type { LabelInfo } from '../../../shared/domain/labelTable.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { lpsToIjkMatrix, type Vec3, type VolumeGeometry } from '../../../shared/domain/volume.js';

/** One 2D plane of an imported object: pixel (x = column, y = row) sits at origin + x * colStep + y * rowStep (LPS mm). */
export interface ImportedPlane {
  originLps: Vec3;
  /** LPS step from one column to the next (row direction × column spacing). */
  colStepLps: Vec3;
  /** LPS step from one row to the next (column direction × row spacing). */
  rowStepLps: Vec3;
  columns: number;
  rows: number;
  /** Per pixel the key of the segment it belongs to (0 = none). */
  keys: Uint8Array | Uint16Array;
}

export interface ImportedSegment extends LabelInfo {
  /** The key planes use for this segment (SEG segment number, NRRD label value per layer…). */
  key: number;
}

export interface Placement {
  /** One label map per layer (one unless segments overlap); label values are the segments' `value`. */
  layers: LabelMap[];
  /** Per segment: voxels set, and where it went. */
  segments: { key: number; value: number; name: string; voxels: number; layer: number }[];
  /** Pixels that fell outside the grid. */
  outside: number;
  /** Largest distance (in voxels) between a pixel centre and the voxel centre it was put in. */
  maxOffVoxel: number;
  notes: string[];
}

/** Per segment the sorted, distinct voxel indices of the grid its pixels land in. */
function voxelsOnGrid(planes: ImportedPlane[], grid: VolumeGeometry): { byKey: Map<number, number[]>; outside: number; maxOff: number } {
  const m = lpsToIjkMatrix(grid);
  const lin = (v: Vec3): Vec3 => [0, 1, 2].map((r) => m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2]) as Vec3;
  const [nx, ny, nz] = grid.dims;
  const byKey = new Map<number, number[]>();
  let outside = 0;
  let maxOff = 0;
  for (const pl of planes) {
    const o = lin(pl.originLps).map((x, r) => x + m[r][3]) as Vec3;
    const dc = lin(pl.colStepLps);
    const dr = lin(pl.rowStepLps);
    for (let y = 0, p = 0; y < pl.rows; y++) {
      for (let x = 0; x < pl.columns; x++, p++) {
        const key = pl.keys[p];
        if (key === 0) continue;
        const fi = o[0] + x * dc[0] + y * dr[0];
        const fj = o[1] + x * dc[1] + y * dr[1];
        const fk = o[2] + x * dc[2] + y * dr[2];
        const i = Math.round(fi);
        const j = Math.round(fj);
        const k = Math.round(fk);
        maxOff = Math.max(maxOff, Math.abs(fi - i), Math.abs(fj - j), Math.abs(fk - k));
        if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) {
          outside++;
          continue;
        }
        let list = byKey.get(key);
        if (!list) byKey.set(key, (list = []));
        list.push(i + nx * (j + ny * k));
      }
    }
  }
  for (const [key, list] of byKey) {
    list.sort((a, b) => a - b);
    let w = 0;
    for (let n = 0; n < list.length; n++) if (n === 0 || list[n] !== list[n - 1]) list[w++] = list[n];
    list.length = w;
    byKey.set(key, list);
  }
  return { byKey, outside, maxOff };
}

/** How well planes fit a grid: pixels outside and the largest off-centre distance (to choose among a series' stacks). */
export function planeFit(planes: ImportedPlane[], grid: VolumeGeometry): { outside: number; maxOffVoxel: number; inside: number } {
  const { byKey, outside, maxOff } = voxelsOnGrid(planes, grid);
  let inside = 0;
  for (const l of byKey.values()) inside += l.length;
  return { outside, maxOffVoxel: maxOff, inside };
}

export function placeSegments(planes: ImportedPlane[], segments: ImportedSegment[], grid: VolumeGeometry): Placement {
  const { byKey, outside, maxOff } = voxelsOnGrid(planes, grid);
  const n = grid.dims[0] * grid.dims[1] * grid.dims[2];
  const maxValue = Math.max(0, ...segments.map((s) => s.value));
  const makeLayer = (): Uint8Array | Uint16Array => (maxValue > 255 ? new Uint16Array(n) : new Uint8Array(n));
  const layers: { labels: Uint8Array | Uint16Array; table: LabelInfo[] }[] = [];
  const placed: Placement['segments'] = [];
  const notes: string[] = [];
  for (const seg of segments) {
    const voxels = byKey.get(seg.key) ?? [];
    // the first layer where none of this segment's voxels is taken yet
    let layer = layers.findIndex((l) => voxels.every((v) => l.labels[v] === 0));
    if (layer < 0) {
      layers.push({ labels: makeLayer(), table: [] });
      layer = layers.length - 1;
    }
    const target = layers[layer];
    for (const v of voxels) target.labels[v] = seg.value;
    const { key: _k, ...info } = seg;
    target.table.push(info);
    placed.push({ key: seg.key, value: seg.value, name: seg.name, voxels: voxels.length, layer });
  }
  if (layers.length === 0) layers.push({ labels: makeLayer(), table: [] });
  if (layers.length > 1) {
    notes.push(
      `Segments overlap: they were split into ${layers.length} label maps so that no voxel of any segment is lost ` +
        `(${placed.map((p) => `${p.name} → map ${p.layer + 1}`).join(', ')}).`,
    );
  }
  if (outside > 0) notes.push(`${outside} segment pixels lie outside the series and were left out.`);
  if (maxOff > 0.25) notes.push(`The segments are not on the series grid (up to ${maxOff.toFixed(2)} voxel off): each pixel was put in its nearest voxel.`);
  const { dims, spacingMm, originLps, directionLps } = grid;
  return {
    layers: layers.map((l) => ({ dims, spacingMm, originLps, directionLps, labels: l.labels, table: l.table })),
    segments: placed,
    outside,
    maxOffVoxel: maxOff,
    notes,
  };
}
