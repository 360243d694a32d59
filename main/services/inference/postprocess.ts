// Post-processing of a predicted label map: keep only the largest 6-connected component of a label (an organ is
// one piece; scattered false positives elsewhere are dropped and become background).
import type { Vec3 } from '../../../shared/domain/volume.js';

/** Returns the number of voxels removed. */
export function keepLargestComponent(labels: Uint8Array, dims: Vec3, value: number): number {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const comp = new Int32Array(n); // 0 = unvisited
  const stack = new Int32Array(n);
  const sizes: number[] = [0];
  for (let start = 0; start < n; start++) {
    if (labels[start] !== value || comp[start] !== 0) continue;
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
      const visit = (u: number): void => {
        if (labels[u] === value && comp[u] === 0) {
          comp[u] = id;
          stack[top++] = u;
        }
      };
      if (i > 0) visit(v - 1);
      if (i < nx - 1) visit(v + 1);
      if (j > 0) visit(v - nx);
      if (j < ny - 1) visit(v + nx);
      if (k > 0) visit(v - nx * ny);
      if (k < nz - 1) visit(v + nx * ny);
    }
    sizes.push(size);
  }
  if (sizes.length <= 2) return 0;
  let keep = 1;
  for (let id = 2; id < sizes.length; id++) if (sizes[id] > sizes[keep]) keep = id;
  let removed = 0;
  for (let v = 0; v < n; v++) {
    if (comp[v] !== 0 && comp[v] !== keep) {
      labels[v] = 0;
      removed++;
    }
  }
  return removed;
}
