// Marching tetrahedra on hostile fields: random values with many exactly at the iso level (zero-area triangles
// there) must still give a closed surface with every edge walked once in each direction.
import { describe, expect, it } from 'vitest';
import { marchingTetrahedra } from '../../../shared/domain/mesh/marchingTetrahedra.js';
import { edgeTopology, meshVolume } from '../../../shared/domain/mesh/meshMetrics.js';
import type { Vec3 } from '../../../shared/domain/volume.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('marchingTetrahedra', () => {
  for (const seed of [1, 2, 3]) {
    it(`random 0 / 0.5 / 1 field (seed ${seed}): closed, consistently oriented, positive volume`, () => {
      const dims: Vec3 = [14, 12, 10];
      const field = new Float32Array(dims[0] * dims[1] * dims[2]);
      const rnd = random(seed);
      for (let k = 1; k < dims[2] - 1; k++)
        for (let j = 1; j < dims[1] - 1; j++) for (let i = 1; i < dims[0] - 1; i++) field[i + dims[0] * (j + dims[1] * k)] = [0, 0.5, 1][Math.floor(rnd() * 3)];
      const m = marchingTetrahedra(field, dims, 0.5);
      expect(m.triangles.length).toBeGreaterThan(0);
      const topo = edgeTopology(m);
      expect([topo.unpairedEdges, topo.repeatedEdges]).toEqual([0, 0]);
      expect(meshVolume(m)).toBeGreaterThan(0);
    });
  }
});
