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
