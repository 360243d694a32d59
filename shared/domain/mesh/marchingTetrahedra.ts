// Iso-surface of a scalar field on a voxel grid by marching tetrahedra: every cell is cut into the six tetrahedra
// around its main diagonal (Freudenthal/Kuhn split, the same in every cell so neighbouring faces match), which
// makes the surface closed and 2-manifold with no ambiguous cases. Triangles face out (toward lower values). Pure.
import type { Vec3 } from '../volume.js';

export interface IndexedMesh {
  /** x,y,z per vertex (the space depends on the producer: grid indices here, LPS mm after placing). */
  positions: Float64Array;
  /** Three vertex indices per triangle, counter-clockwise seen from outside. */
  triangles: Uint32Array;
}

/** The six tetrahedra of a cell as corner numbers (bit 0: +i, bit 1: +j, bit 2: +k), all sharing the 0–7 diagonal. */
const TETS: readonly (readonly [number, number, number, number])[] = [
  [0, 1, 3, 7],
  [0, 1, 5, 7],
  [0, 2, 3, 7],
  [0, 2, 6, 7],
  [0, 4, 5, 7],
  [0, 4, 6, 7],
];

/**
 * The surface { f = iso } where inside means f > iso. `step` samples every step-th grid node (a coarser surface,
 * fewer triangles). The field must be below iso on the grid border for the surface to be closed (pad it).
 * Positions are in (continuous) grid index units of the full grid.
 */
export function marchingTetrahedra(field: Float32Array, dims: Vec3, iso: number, step = 1): IndexedMesh {
  const [nx, ny, nz] = dims;
  const sx = Math.floor((nx - 1) / step) + 1;
  const sy = Math.floor((ny - 1) / step) + 1;
  const sz = Math.floor((nz - 1) / step) + 1;
  const at = (i: number, j: number, k: number): number => field[i * step + nx * (j * step + ny * k * step)];
  const positions: number[] = [];
  const triangles: number[] = [];
  // Vertex per cut edge. Every tetrahedron edge goes from a node to node + d with d a non-zero 0/1 vector, so
  // (lower node, d) names the edge: key = node * 8 + d.
  const edgeVertex = new Map<number, number>();
  const cornerNode = new Int32Array(8);
  const cornerValue = new Float64Array(8);
  const cornerPos: Vec3[] = Array.from({ length: 8 }, () => [0, 0, 0] as Vec3);
  const vertexOn = (a: number, b: number): number => {
    let lo = a;
    let hi = b;
    if (cornerNode[lo] > cornerNode[hi]) [lo, hi] = [hi, lo];
    const key = cornerNode[lo] * 8 + (hi ^ lo);
    const found = edgeVertex.get(key);
    if (found !== undefined) return found;
    const fa = cornerValue[a];
    const fb = cornerValue[b];
    const t = (iso - fa) / (fb - fa);
    const pa = cornerPos[a];
    const pb = cornerPos[b];
    const id = positions.length / 3;
    positions.push(pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1]), pa[2] + t * (pb[2] - pa[2]));
    edgeVertex.set(key, id);
    return id;
  };
  // Winding from the cut edges' midpoints, not the interpolated vertices: those can coincide (a corner exactly at the
  // iso value) and their zero-area triangle says nothing about orientation; the midpoint triangle never degenerates.
  const mid = (x: number, y: number, axis: number): number => (cornerPos[x][axis] + cornerPos[y][axis]) / 2;
  const emit = (a: number, b: number, c: number, ea: [number, number], eb: [number, number], ec: [number, number], outward: Vec3): void => {
    const u0 = mid(eb[0], eb[1], 0) - mid(ea[0], ea[1], 0);
    const u1 = mid(eb[0], eb[1], 1) - mid(ea[0], ea[1], 1);
    const u2 = mid(eb[0], eb[1], 2) - mid(ea[0], ea[1], 2);
    const v0 = mid(ec[0], ec[1], 0) - mid(ea[0], ea[1], 0);
    const v1 = mid(ec[0], ec[1], 1) - mid(ea[0], ea[1], 1);
    const v2 = mid(ec[0], ec[1], 2) - mid(ea[0], ea[1], 2);
    const n = [u1 * v2 - u2 * v1, u2 * v0 - u0 * v2, u0 * v1 - u1 * v0];
    if (n[0] * outward[0] + n[1] * outward[1] + n[2] * outward[2] < 0) triangles.push(a, c, b);
    else triangles.push(a, b, c);
  };
  const inside: boolean[] = new Array(4);
  for (let k = 0; k + 1 < sz; k++) {
    for (let j = 0; j + 1 < sy; j++) {
      for (let i = 0; i + 1 < sx; i++) {
        let count = 0;
        for (let c = 0; c < 8; c++) {
          const ci = i + (c & 1);
          const cj = j + ((c >> 1) & 1);
          const ck = k + ((c >> 2) & 1);
          const v = at(ci, cj, ck);
          cornerValue[c] = v;
          if (v > iso) count++;
        }
        if (count === 0 || count === 8) continue;
        for (let c = 0; c < 8; c++) {
          const ci = i + (c & 1);
          const cj = j + ((c >> 1) & 1);
          const ck = k + ((c >> 2) & 1);
          cornerNode[c] = ci + sx * (cj + sy * ck);
          cornerPos[c][0] = ci * step;
          cornerPos[c][1] = cj * step;
          cornerPos[c][2] = ck * step;
        }
        for (const tet of TETS) {
          let n = 0;
          for (let t = 0; t < 4; t++) {
            inside[t] = cornerValue[tet[t]] > iso;
            if (inside[t]) n++;
          }
          if (n === 0 || n === 4) continue;
          // Outward direction: from the inside corners' mean to the outside corners' mean.
          const out: Vec3 = [0, 0, 0];
          for (let t = 0; t < 4; t++) {
            const p = cornerPos[tet[t]];
            const w = inside[t] ? -1 / n : 1 / (4 - n);
            out[0] += w * p[0];
            out[1] += w * p[1];
            out[2] += w * p[2];
          }
          const ins = tet.filter((_, t) => inside[t]);
          const outs = tet.filter((_, t) => !inside[t]);
          if (n === 1 || n === 3) {
            const lone = n === 1 ? ins[0] : outs[0];
            const others = n === 1 ? outs : ins;
            emit(vertexOn(lone, others[0]), vertexOn(lone, others[1]), vertexOn(lone, others[2]), [lone, others[0]], [lone, others[1]], [lone, others[2]], out);
          } else {
            // Two in, two out: the cut is a quad a0-b0, a0-b1, a1-b1, a1-b0 (in cyclic order).
            const q0 = vertexOn(ins[0], outs[0]);
            const q1 = vertexOn(ins[0], outs[1]);
            const q2 = vertexOn(ins[1], outs[1]);
            const q3 = vertexOn(ins[1], outs[0]);
            const [i0, i1] = ins;
            const [o0, o1] = outs;
            emit(q0, q1, q2, [i0, o0], [i0, o1], [i1, o1], out);
            emit(q0, q2, q3, [i0, o0], [i1, o1], [i1, o0], out);
          }
        }
      }
    }
  }
  return { positions: Float64Array.from(positions), triangles: Uint32Array.from(triangles) };
}
