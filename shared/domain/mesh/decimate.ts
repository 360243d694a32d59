// Quadric edge-collapse decimation (Garland & Heckbert 1997) of a closed, consistently oriented triangle mesh down
// to a triangle budget. Each vertex carries the sum of its faces' plane quadrics (area-weighted); the cheapest edge
// collapses to the point minimising the summed quadric. A collapse is refused when it would break the surface: the
// link condition (the edge's endpoints share exactly the two opposite vertices), an opposite vertex left with fewer
// than three faces, or a face turned over. The result stays closed and 2-manifold. Pure.
import { invert3 } from '../volume.js';
import type { IndexedMesh } from './marchingTetrahedra.js';

/** Quadric as its 10 distinct entries: a² ab ac ad b² bc bd c² cd d² of a plane ax + by + cz + d = 0. */
const Q = 10;

class EdgeHeap {
  cost: number[] = [];
  u: number[] = [];
  v: number[] = [];
  stamp: number[] = [];
  size(): number {
    return this.cost.length;
  }
  push(cost: number, u: number, v: number, stamp: number): void {
    this.cost.push(cost);
    this.u.push(u);
    this.v.push(v);
    this.stamp.push(stamp);
    let i = this.cost.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.cost[parent] <= this.cost[i]) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  /** Removes the cheapest entry into out = [cost, u, v, stamp]. */
  pop(out: number[]): void {
    out[0] = this.cost[0];
    out[1] = this.u[0];
    out[2] = this.v[0];
    out[3] = this.stamp[0];
    const last = this.cost.length - 1;
    this.swap(0, last);
    this.cost.pop();
    this.u.pop();
    this.v.pop();
    this.stamp.pop();
    let i = 0;
    const n = this.cost.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.cost[l] < this.cost[m]) m = l;
      if (r < n && this.cost[r] < this.cost[m]) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
  private swap(a: number, b: number): void {
    [this.cost[a], this.cost[b]] = [this.cost[b], this.cost[a]];
    [this.u[a], this.u[b]] = [this.u[b], this.u[a]];
    [this.v[a], this.v[b]] = [this.v[b], this.v[a]];
    [this.stamp[a], this.stamp[b]] = [this.stamp[b], this.stamp[a]];
  }
}

/** A new mesh with at most targetTriangles triangles (fewer collapses when the surface would break otherwise). */
export function decimateMesh(mesh: IndexedMesh, targetTriangles: number): IndexedMesh {
  const nV = mesh.positions.length / 3;
  const nT = mesh.triangles.length / 3;
  if (nT <= targetTriangles) return { positions: Float64Array.from(mesh.positions), triangles: Uint32Array.from(mesh.triangles) };
  const pos = Float64Array.from(mesh.positions);
  const tri = Int32Array.from(mesh.triangles);
  const triAlive = new Uint8Array(nT).fill(1);
  const vertexAlive = new Uint8Array(nV).fill(1);
  const stamp = new Int32Array(nV);
  const faces: number[][] = Array.from({ length: nV }, () => []);
  for (let t = 0; t < nT; t++) for (let e = 0; e < 3; e++) faces[tri[3 * t + e]].push(t);

  const quadric = new Float64Array(Q * nV);
  for (let t = 0; t < nT; t++) {
    const n = faceNormal(pos, tri, t);
    const len = Math.hypot(n[0], n[1], n[2]);
    if (len === 0) continue;
    const a = n[0] / len;
    const b = n[1] / len;
    const c = n[2] / len;
    const p = tri[3 * t] * 3;
    const d = -(a * pos[p] + b * pos[p + 1] + c * pos[p + 2]);
    const w = len / 2; // area weight
    const k = [a * a, a * b, a * c, a * d, b * b, b * c, b * d, c * c, c * d, d * d];
    for (let e = 0; e < 3; e++) {
      const v = tri[3 * t + e];
      for (let q = 0; q < Q; q++) quadric[Q * v + q] += w * k[q];
    }
  }

  const target = new Float64Array(3);
  const s = new Float64Array(Q);
  /** Cost of collapsing u–v; the best point is left in `target`. */
  const collapseCost = (u: number, v: number): number => {
    for (let q = 0; q < Q; q++) s[q] = quadric[Q * u + q] + quadric[Q * v + q];
    const [a2, ab, ac, ad, b2, bc, bd, c2, cd] = s;
    const det = a2 * (b2 * c2 - bc * bc) - ab * (ab * c2 - bc * ac) + ac * (ab * bc - b2 * ac);
    const scale = Math.max(a2, b2, c2);
    let best = Infinity;
    if (Math.abs(det) > 1e-9 * scale * scale * scale && Math.abs(det) >= 1e-12) {
      // minimise x^T A x + 2 b^T x + c: x = −A⁻¹ b
      const inv = invert3([
        [a2, ab, ac],
        [ab, b2, bc],
        [ac, bc, c2],
      ]);
      const x = -(inv[0][0] * ad + inv[0][1] * bd + inv[0][2] * cd);
      const y = -(inv[1][0] * ad + inv[1][1] * bd + inv[1][2] * cd);
      const z = -(inv[2][0] * ad + inv[2][1] * bd + inv[2][2] * cd);
      // keep the point near the edge: a far optimum on a nearly flat patch is numerically unsafe
      const mx = (pos[3 * u] + pos[3 * v]) / 2;
      const my = (pos[3 * u + 1] + pos[3 * v + 1]) / 2;
      const mz = (pos[3 * u + 2] + pos[3 * v + 2]) / 2;
      const edge = Math.hypot(pos[3 * u] - pos[3 * v], pos[3 * u + 1] - pos[3 * v + 1], pos[3 * u + 2] - pos[3 * v + 2]);
      if (Math.hypot(x - mx, y - my, z - mz) <= 2 * edge) {
        best = quadricAt(s, x, y, z);
        target[0] = x;
        target[1] = y;
        target[2] = z;
      }
    }
    if (best === Infinity) {
      for (const f of [0, 0.5, 1]) {
        const x = pos[3 * u] + f * (pos[3 * v] - pos[3 * u]);
        const y = pos[3 * u + 1] + f * (pos[3 * v + 1] - pos[3 * u + 1]);
        const z = pos[3 * u + 2] + f * (pos[3 * v + 2] - pos[3 * u + 2]);
        const c = quadricAt(s, x, y, z);
        if (c < best) {
          best = c;
          target[0] = x;
          target[1] = y;
          target[2] = z;
        }
      }
    }
    return Math.max(0, best);
  };

  const heap = new EdgeHeap();
  for (let t = 0; t < nT; t++) {
    for (let e = 0; e < 3; e++) {
      const a = tri[3 * t + e];
      const b = tri[3 * t + ((e + 1) % 3)];
      if (a < b) heap.push(collapseCost(a, b), a, b, 0);
    }
  }

  let alive = nT;
  const entry = [0, 0, 0, 0];
  const neighboursOf = (x: number): Set<number> => {
    const s = new Set<number>();
    for (const t of faces[x]) for (let e = 0; e < 3; e++) s.add(tri[3 * t + e]);
    s.delete(x);
    return s;
  };
  while (alive > targetTriangles && heap.size() > 0) {
    heap.pop(entry);
    const u = entry[1];
    const v = entry[2];
    if (!vertexAlive[u] || !vertexAlive[v] || entry[3] !== stamp[u] + stamp[v]) continue;
    const shared = faces[u].filter((t) => faces[v].includes(t));
    if (shared.length !== 2) continue;
    // link condition: the common neighbours are exactly the two opposite vertices, each keeping ≥ 3 faces
    const opposite = shared.map((t) => [tri[3 * t], tri[3 * t + 1], tri[3 * t + 2]].find((x) => x !== u && x !== v)!);
    const nu = neighboursOf(u);
    let common = 0;
    for (const w of neighboursOf(v)) if (nu.has(w)) common++;
    if (common !== 2 || opposite.some((w) => faces[w].length <= 3)) continue;
    const cost = collapseCost(u, v);
    const [px, py, pz] = target;
    // no face may turn over (or collapse to nothing) when u and v move to the new point
    let flips = false;
    for (const x of [u, v]) {
      for (const t of faces[x]) {
        if (shared.includes(t)) continue;
        const before = faceNormal(pos, tri, t);
        const after = faceNormalMoved(pos, tri, t, u, v, px, py, pz);
        const bl = Math.hypot(before[0], before[1], before[2]);
        const al = Math.hypot(after[0], after[1], after[2]);
        if (al <= 1e-12 * (bl + 1e-30) || before[0] * after[0] + before[1] * after[1] + before[2] * after[2] < 0.2 * bl * al) {
          flips = true;
          break;
        }
      }
      if (flips) break;
    }
    if (flips || !Number.isFinite(cost)) continue;
    // collapse v into u
    pos[3 * u] = px;
    pos[3 * u + 1] = py;
    pos[3 * u + 2] = pz;
    for (const t of shared) {
      triAlive[t] = 0;
      alive--;
      for (let e = 0; e < 3; e++) {
        const x = tri[3 * t + e];
        faces[x] = faces[x].filter((f) => f !== t);
      }
    }
    for (const t of faces[v]) {
      for (let e = 0; e < 3; e++) if (tri[3 * t + e] === v) tri[3 * t + e] = u;
      faces[u].push(t);
    }
    faces[v] = [];
    vertexAlive[v] = 0;
    for (let q = 0; q < Q; q++) quadric[Q * u + q] += quadric[Q * v + q];
    // only u's edges changed cost (its quadric and position); the old entries of u and v are now stale
    stamp[u]++;
    for (const w of neighboursOf(u)) heap.push(collapseCost(u, w), u, w, stamp[u] + stamp[w]);
  }

  // compact
  const newIndex = new Int32Array(nV).fill(-1);
  const outPos: number[] = [];
  const outTri: number[] = [];
  for (let t = 0; t < nT; t++) {
    if (!triAlive[t]) continue;
    for (let e = 0; e < 3; e++) {
      const v = tri[3 * t + e];
      if (newIndex[v] < 0) {
        newIndex[v] = outPos.length / 3;
        outPos.push(pos[3 * v], pos[3 * v + 1], pos[3 * v + 2]);
      }
      outTri.push(newIndex[v]);
    }
  }
  return { positions: Float64Array.from(outPos), triangles: Uint32Array.from(outTri) };
}

function quadricAt(s: Float64Array, x: number, y: number, z: number): number {
  const [a2, ab, ac, ad, b2, bc, bd, c2, cd, d2] = s;
  return a2 * x * x + 2 * ab * x * y + 2 * ac * x * z + 2 * ad * x + b2 * y * y + 2 * bc * y * z + 2 * bd * y + c2 * z * z + 2 * cd * z + d2;
}

function faceNormal(pos: Float64Array, tri: Int32Array, t: number): [number, number, number] {
  const a = tri[3 * t] * 3;
  const b = tri[3 * t + 1] * 3;
  const c = tri[3 * t + 2] * 3;
  return cross3(pos[a], pos[a + 1], pos[a + 2], pos[b], pos[b + 1], pos[b + 2], pos[c], pos[c + 1], pos[c + 2]);
}

/** The face's normal with vertices u and v both moved to p. */
function faceNormalMoved(pos: Float64Array, tri: Int32Array, t: number, u: number, v: number, px: number, py: number, pz: number): [number, number, number] {
  const c: number[] = [];
  for (let e = 0; e < 3; e++) {
    const x = tri[3 * t + e];
    if (x === u || x === v) c.push(px, py, pz);
    else c.push(pos[3 * x], pos[3 * x + 1], pos[3 * x + 2]);
  }
  return cross3(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
}

function cross3(ax: number, ay: number, az: number, bx: number, by: number, bz: number, cx: number, cy: number, cz: number): [number, number, number] {
  const ux = bx - ax;
  const uy = by - ay;
  const uz = bz - az;
  const vx = cx - ax;
  const vy = cy - ay;
  const vz = cz - az;
  return [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx];
}
