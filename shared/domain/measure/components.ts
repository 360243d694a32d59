// 3D connected components of chosen labels (lesion instances), grown one by one with the grid flood fill.
import { checkConnectivity, floodFill, VoxelBits, type GridConnectivity } from '../grid/floodFill.js';
import type { Vec3 } from '../volume.js';

export { neighbourOffsets } from '../grid/floodFill.js';

/** What measurement offers for lesion instances (the grid kernel also does 18). */
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

/** Connected components of the voxels whose label is in `labelsToSplit`; two voxels connect only if they share a label. */
export function connectedComponents(
  labels: Uint8Array | Uint16Array,
  dims: Vec3,
  labelsToSplit: ReadonlySet<number>,
  connectivity: GridConnectivity,
): Components {
  checkConnectivity(connectivity);
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const ids = new Int32Array(n);
  const wanted = new Uint8Array(65536);
  let total = 0;
  for (const v of labelsToSplit) if (v > 0 && v < 65536) wanted[v] = 1;
  for (let p = 0; p < n; p++) if (wanted[labels[p]]) total++;
  const order = new Int32Array(total);
  const components: Component[] = [];
  if (total === 0) return { ids, order, components };
  const visited = new VoxelBits(n);
  // One accept test for every component: the label being grown changes, the closure does not.
  let label = 0;
  const sameLabel = (s: number): boolean => labels[s] === label;
  let tail = 0;
  for (let p = 0; p < n; p++) {
    if (!wanted[labels[p]] || ids[p] !== 0) continue;
    label = labels[p];
    const id = components.length + 1;
    // `order` doubles as the fill's queue: each component lands right after the previous one.
    const { voxels } = floodFill(dims, p, sameLabel, { connectivity, visited, order, orderOffset: tail });
    for (let t = tail; t < tail + voxels; t++) ids[order[t]] = id;
    components.push({ id, label, voxels, start: tail });
    tail += voxels;
  }
  return { ids, order, components };
}
