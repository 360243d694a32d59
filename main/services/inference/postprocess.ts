// Post-processing of a predicted label map: keep only the largest 6-connected component of chosen labels (an organ
// is one piece; scattered false positives elsewhere become background). One pass for all labels.
import type { Vec3 } from '../../../shared/domain/volume.js';

/** Returns the voxels removed per label value. */
export function keepLargestComponents(labels: Uint8Array, dims: Vec3, values: number[]): Map<number, number> {
  const removed = new Map<number, number>(values.map((v) => [v, 0]));
  if (values.length === 0) return removed;
  const wanted = new Uint8Array(256);
  for (const v of values) wanted[v] = 1;
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const comp = new Int32Array(n); // 0 = not in a component (yet)
  const stack = new Int32Array(n);
  const sizes: number[] = [0];
  const bestOf = new Map<number, number>(); // label -> component id
  for (let start = 0; start < n; start++) {
    const value = labels[start];
    if (!wanted[value] || comp[start] !== 0) continue;
    const id = sizes.length;
    let size = 0;
    let top = 0;
    stack[top++] = start;
    comp[start] = id;
    while (top > 0) {
      const v = stack[--top];
      size++;
      const i = v % nx;
      const j = Math.floor(v / nx) % ny;
      const k = Math.floor(v / (nx * ny));
      if (i > 0 && labels[v - 1] === value && comp[v - 1] === 0) (comp[v - 1] = id), (stack[top++] = v - 1);
      if (i < nx - 1 && labels[v + 1] === value && comp[v + 1] === 0) (comp[v + 1] = id), (stack[top++] = v + 1);
      if (j > 0 && labels[v - nx] === value && comp[v - nx] === 0) (comp[v - nx] = id), (stack[top++] = v - nx);
      if (j < ny - 1 && labels[v + nx] === value && comp[v + nx] === 0) (comp[v + nx] = id), (stack[top++] = v + nx);
      const s = nx * ny;
      if (k > 0 && labels[v - s] === value && comp[v - s] === 0) (comp[v - s] = id), (stack[top++] = v - s);
      if (k < nz - 1 && labels[v + s] === value && comp[v + s] === 0) (comp[v + s] = id), (stack[top++] = v + s);
    }
    sizes.push(size);
    const best = bestOf.get(value);
    // ties keep the first found (scan order), so the result does not depend on anything but the labels
    if (best === undefined || size > sizes[best]) bestOf.set(value, id);
  }
  const keep = new Uint8Array(sizes.length);
  for (const id of bestOf.values()) keep[id] = 1;
  for (let v = 0; v < n; v++) {
    const c = comp[v];
    if (c !== 0 && !keep[c]) {
      removed.set(labels[v], (removed.get(labels[v]) ?? 0) + 1);
      labels[v] = 0;
    }
  }
  return removed;
}

/**
 * Removes the 6-connected pieces of label `value` whose face-neighbour shell (voxels just outside the piece) is less
 * than `minFraction` label `parent`: e.g. a "liver tumour" lying mostly outside the liver is fluid next to it.
 * Returns the voxels removed.
 */
export function keepEnclosedComponents(labels: Uint8Array, dims: Vec3, value: number, parent: number, minFraction: number): number {
  const [nx, ny, nz] = dims;
  const s = nx * ny;
  const n = s * nz;
  const comp = new Int32Array(n);
  const stack = new Int32Array(n);
  const shellMark = new Int32Array(n); // last component id that counted this shell voxel
  const drop: number[] = [];
  let id = 0;
  let removed = 0;
  for (let start = 0; start < n; start++) {
    if (labels[start] !== value || comp[start] !== 0) continue;
    id++;
    let top = 0;
    let shell = 0;
    let shellParent = 0;
    stack[top++] = start;
    comp[start] = id;
    while (top > 0) {
      const v = stack[--top];
      const i = v % nx;
      const j = Math.floor(v / nx) % ny;
      const k = Math.floor(v / s);
      const visit = (u: number): void => {
        if (labels[u] === value) {
          if (comp[u] === 0) {
            comp[u] = id;
            stack[top++] = u;
          }
        } else if (shellMark[u] !== id) {
          shellMark[u] = id;
          shell++;
          if (labels[u] === parent) shellParent++;
        }
      };
      if (i > 0) visit(v - 1);
      if (i < nx - 1) visit(v + 1);
      if (j > 0) visit(v - nx);
      if (j < ny - 1) visit(v + nx);
      if (k > 0) visit(v - s);
      if (k < nz - 1) visit(v + s);
    }
    if (shell === 0 || shellParent / shell < minFraction) drop.push(id);
  }
  if (drop.length === 0) return 0;
  const dropSet = new Uint8Array(id + 1);
  for (const d of drop) dropSet[d] = 1;
  for (let v = 0; v < n; v++) {
    if (comp[v] !== 0 && dropSet[comp[v]]) {
      labels[v] = 0;
      removed++;
    }
  }
  return removed;
}
