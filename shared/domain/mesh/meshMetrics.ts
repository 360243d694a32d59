// Figures of a closed triangle mesh: enclosed volume (divergence theorem), area, bounds, and its topology check
// (every edge in exactly two triangles, walked in opposite directions: closed and consistently oriented). Pure.
import type { Vec3 } from '../volume.js';
import type { IndexedMesh } from './marchingTetrahedra.js';

/** Signed enclosed volume in the positions' unit cubed: positive when the triangles face outward. */
export function meshVolume(mesh: IndexedMesh): number {
  const p = mesh.positions;
  const t = mesh.triangles;
  let six = 0;
  for (let q = 0; q < t.length; q += 3) {
    const a = t[q] * 3;
    const b = t[q + 1] * 3;
    const c = t[q + 2] * 3;
    six += p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1]) + p[a + 1] * (p[b + 2] * p[c] - p[b] * p[c + 2]) + p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c]);
  }
  return six / 6;
}

export function meshArea(mesh: IndexedMesh): number {
  const p = mesh.positions;
  const t = mesh.triangles;
  let twice = 0;
  for (let q = 0; q < t.length; q += 3) {
    const a = t[q] * 3;
    const b = t[q + 1] * 3;
    const c = t[q + 2] * 3;
    const u0 = p[b] - p[a];
    const u1 = p[b + 1] - p[a + 1];
    const u2 = p[b + 2] - p[a + 2];
    const v0 = p[c] - p[a];
    const v1 = p[c + 1] - p[a + 1];
    const v2 = p[c + 2] - p[a + 2];
    twice += Math.hypot(u1 * v2 - u2 * v1, u2 * v0 - u0 * v2, u0 * v1 - u1 * v0);
  }
  return twice / 2;
}

export function meshBounds(mesh: IndexedMesh): { min: Vec3; max: Vec3 } | null {
  const p = mesh.positions;
  if (p.length === 0) return null;
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let q = 0; q < p.length; q += 3) {
    for (let a = 0; a < 3; a++) {
      if (p[q + a] < min[a]) min[a] = p[q + a];
      if (p[q + a] > max[a]) max[a] = p[q + a];
    }
  }
  return { min, max };
}

export interface EdgeTopology {
  edges: number;
  /** Directed edges without their reverse: holes (or flipped neighbours). */
  unpairedEdges: number;
  /** Directed edges used by more than one triangle: non-manifold or inconsistently oriented. */
  repeatedEdges: number;
}

/** Closed and consistently oriented iff unpairedEdges = repeatedEdges = 0. */
export function edgeTopology(mesh: IndexedMesh): EdgeTopology {
  const t = mesh.triangles;
  const n = mesh.positions.length / 3;
  const directed = new Map<number, number>();
  for (let q = 0; q < t.length; q += 3) {
    for (let e = 0; e < 3; e++) {
      const key = t[q + e] * n + t[q + ((e + 1) % 3)];
      directed.set(key, (directed.get(key) ?? 0) + 1);
    }
  }
  let unpaired = 0;
  let repeated = 0;
  for (const [key, count] of directed) {
    if (count > 1) repeated++;
    const a = Math.floor(key / n);
    const b = key - a * n;
    if (!directed.has(b * n + a)) unpaired++;
  }
  return { edges: directed.size / 2, unpairedEdges: unpaired, repeatedEdges: repeated };
}
