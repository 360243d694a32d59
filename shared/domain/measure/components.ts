// 3D connected components of chosen labels (lesion instances): breadth-first flood fill in typed arrays.
import type { Vec3 } from '../volume.js';

export type Connectivity = 6 | 26;

export interface Component {
  /** 1-based id, in order of the component's first voxel in i-fastest scan order. */
  id: number;
  label: number;
  voxels: number;
  /** This component's voxel indices are order.subarray(start, start + voxels). */
  start: number;
}

export interface Components {
  /** Component id per voxel, 0 where the voxel is in no component. */
  ids: Int32Array;
  /** Voxel indices of all components, grouped by component (breadth-first order inside each). */
  order: Int32Array;
  components: Component[];
}

/** Neighbour offsets (di, dj, dk) for the connectivity: faces only, or faces + edges + corners. */
export function neighbourOffsets(connectivity: Connectivity): Vec3[] {
  const out: Vec3[] = [];
  for (let dk = -1; dk <= 1; dk++)
    for (let dj = -1; dj <= 1; dj++)
      for (let di = -1; di <= 1; di++) {
        const manhattan = Math.abs(di) + Math.abs(dj) + Math.abs(dk);
        if (manhattan === 0) continue;
        if (connectivity === 6 && manhattan !== 1) continue;
        out.push([di, dj, dk]);
      }
  return out;
}

/** Connected components of the voxels whose label is in `labelsToSplit`; two voxels connect only if they share a label. */
export function connectedComponents(
  labels: Uint8Array | Uint16Array,
  dims: Vec3,
  labelsToSplit: ReadonlySet<number>,
  connectivity: Connectivity,
): Components {
  if (connectivity !== 6 && connectivity !== 26) throw new Error(`connectivity must be 6 or 26, got ${String(connectivity)}`);
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const ids = new Int32Array(n);
  const wanted = new Uint8Array(65536);
  let total = 0;
  for (const v of labelsToSplit) if (v > 0 && v < 65536) wanted[v] = 1;
  for (let p = 0; p < n; p++) if (wanted[labels[p]]) total++;
  const order = new Int32Array(total);
  const offs = neighbourOffsets(connectivity);
  const components: Component[] = [];
  if (total === 0) return { ids, order, components };
  // Linear index steps of the neighbours: used as is for voxels off the grid edge (no bounds checks needed).
  const steps = Int32Array.from(offs.map(([di, dj, dk]) => di + nx * (dj + ny * dk)));
  let tail = 0;
  for (let p = 0; p < n; p++) {
    const label = labels[p];
    if (!wanted[label] || ids[p] !== 0) continue;
    const id = components.length + 1;
    const start = tail;
    ids[p] = id;
    order[tail++] = p;
    // `order` doubles as the BFS queue: everything between head and tail is still to expand.
    for (let head = start; head < tail; head++) {
      const q = order[head];
      const k = Math.floor(q / (nx * ny));
      const r = q - k * nx * ny;
      const j = Math.floor(r / nx);
      const i = r - j * nx;
      if (i > 0 && i < nx - 1 && j > 0 && j < ny - 1 && k > 0 && k < nz - 1) {
        for (let t = 0; t < steps.length; t++) {
          const s = q + steps[t];
          if (ids[s] === 0 && labels[s] === label) {
            ids[s] = id;
            order[tail++] = s;
          }
        }
        continue;
      }
      for (const [di, dj, dk] of offs) {
        const a = i + di;
        const b = j + dj;
        const c = k + dk;
        if (a < 0 || a >= nx || b < 0 || b >= ny || c < 0 || c >= nz) continue;
        const s = a + nx * (b + ny * c);
        if (ids[s] === 0 && labels[s] === label) {
          ids[s] = id;
          order[tail++] = s;
        }
      }
    }
    components.push({ id, label, voxels: tail - start, start });
  }
  return { ids, order, components };
}
