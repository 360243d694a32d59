// Smoothing for surfaces: a separable Gaussian blur of the label's mask before the iso-surface (removes the voxel
// staircase) and Taubin's λ|μ mesh smoothing after it (low-pass without the shrinking of plain Laplacian smoothing). Pure.
import type { Vec3 } from '../volume.js';
import type { IndexedMesh } from './marchingTetrahedra.js';

/** In-place separable Gaussian blur; sigma per axis in voxels (0 leaves that axis alone). Values beyond the grid are 0. */
export function gaussianBlur3d(field: Float32Array, dims: Vec3, sigmaVoxels: Vec3): void {
  const strides: Vec3 = [1, dims[0], dims[0] * dims[1]];
  const line = new Float64Array(Math.max(...dims));
  for (let axis = 0; axis < 3; axis++) {
    const sigma = sigmaVoxels[axis];
    if (!(sigma > 0)) continue;
    const radius = Math.ceil(3 * sigma);
    const kernel = new Float64Array(2 * radius + 1);
    let sum = 0;
    for (let t = -radius; t <= radius; t++) sum += kernel[t + radius] = Math.exp((-t * t) / (2 * sigma * sigma));
    for (let t = 0; t < kernel.length; t++) kernel[t] /= sum;
    const len = dims[axis];
    const stride = strides[axis];
    const o1 = axis === 0 ? 1 : 0;
    const o2 = axis === 2 ? 1 : 2;
    for (let b = 0; b < dims[o2]; b++) {
      for (let a = 0; a < dims[o1]; a++) {
        const base = a * strides[o1] + b * strides[o2];
        let any = false;
        for (let q = 0; q < len; q++) {
          line[q] = field[base + q * stride];
          if (line[q] !== 0) any = true;
        }
        if (!any) continue;
        for (let q = 0; q < len; q++) {
          let acc = 0;
          const lo = Math.max(0, q - radius);
          const hi = Math.min(len - 1, q + radius);
          for (let p = lo; p <= hi; p++) acc += kernel[p - q + radius] * line[p];
          field[base + q * stride] = acc;
        }
      }
    }
  }
}

/** Vertex neighbours (compressed rows) from the triangles. */
export function vertexNeighbours(vertexCount: number, triangles: Uint32Array): { start: Int32Array; list: Int32Array } {
  const degree = new Int32Array(vertexCount + 1);
  for (let t = 0; t < triangles.length; t += 3) {
    for (let e = 0; e < 3; e++) degree[triangles[t + e]] += 2;
  }
  const start = new Int32Array(vertexCount + 1);
  for (let v = 0; v < vertexCount; v++) start[v + 1] = start[v] + degree[v];
  const fill = start.slice(0, vertexCount);
  const list = new Int32Array(start[vertexCount]);
  for (let t = 0; t < triangles.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const a = triangles[t + e];
      list[fill[a]++] = triangles[t + ((e + 1) % 3)];
      list[fill[a]++] = triangles[t + ((e + 2) % 3)];
    }
  }
  // Each neighbour appears twice in a closed manifold (once per triangle on either side of the edge): the uniform
  // weights stay uniform, so no de-duplication is needed.
  return { start, list };
}

/**
 * Taubin smoothing (Taubin 1995): alternating steps x += λ·L(x) and x += μ·L(x) with μ < −λ < 0, L the umbrella
 * operator. Passes band frequencies below k_pb = 1/λ + 1/μ nearly untouched, so the enclosed volume barely changes.
 */
export function taubinSmooth(mesh: IndexedMesh, iterations: number, lambda = 0.5, mu = -0.53): void {
  const n = mesh.positions.length / 3;
  if (n === 0 || iterations <= 0) return;
  const { start, list } = vertexNeighbours(n, mesh.triangles);
  const p = mesh.positions;
  const delta = new Float64Array(p.length);
  for (let it = 0; it < 2 * iterations; it++) {
    const factor = it % 2 === 0 ? lambda : mu;
    for (let v = 0; v < n; v++) {
      const s = start[v];
      const e = start[v + 1];
      if (e === s) continue;
      let x = 0;
      let y = 0;
      let z = 0;
      for (let q = s; q < e; q++) {
        const w = list[q] * 3;
        x += p[w];
        y += p[w + 1];
        z += p[w + 2];
      }
      const m = e - s;
      delta[v * 3] = x / m - p[v * 3];
      delta[v * 3 + 1] = y / m - p[v * 3 + 1];
      delta[v * 3 + 2] = z / m - p[v * 3 + 2];
    }
    for (let q = 0; q < p.length; q++) p[q] += factor * delta[q];
  }
}
