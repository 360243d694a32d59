// Quadric edge-collapse decimation of closed surfaces of analytic ellipsoids (oblique anisotropic grid): the budget
// is met, the surface stays closed and outward, and the enclosed volume and the shape barely change.
import { describe, expect, it } from 'vitest';
import { decimateMesh } from '../../../shared/domain/mesh/decimate.js';
import { labelSurface } from '../../../shared/domain/mesh/labelSurface.js';
import { edgeTopology, meshVolume } from '../../../shared/domain/mesh/meshMetrics.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { ellipsoidVolumeMm3, obliqueDirection, paintEllipsoids, type Ellipsoid } from '../../helpers/planningPhantoms.js';

const centre: Vec3 = [5, 5, 5];
const e: Ellipsoid = { value: 1, centreLps: [6, 4, 7], semiAxesMm: [22, 17, 26] };

describe('decimateMesh', () => {
  it('reduces an ellipsoid surface 10-fold: closed, outward, volume within 1 % of analytic, vertices on the shape', () => {
    const grid = paintEllipsoids([0.8, 1.1, 2.0], obliqueDirection(0.3, 0.5), 70, centre, [e]);
    const full = labelSurface(grid, 1, { targetTriangles: 1_000_000 });
    const n = full.mesh.triangles.length / 3;
    const budget = Math.floor(n / 10);
    const d = decimateMesh(full.mesh, budget);
    const triangles = d.triangles.length / 3;
    expect(triangles).toBeLessThanOrEqual(budget);
    expect(triangles).toBeGreaterThan(budget - 3);
    const topo = edgeTopology(d);
    expect([topo.unpairedEdges, topo.repeatedEdges]).toEqual([0, 0]);
    expect(Math.abs(meshVolume(d) / ellipsoidVolumeMm3(e) - 1)).toBeLessThan(0.01);
    let worst = 0;
    for (let q = 0; q < d.positions.length; q += 3) {
      const r = Math.sqrt(e.semiAxesMm.reduce((acc, a, ax) => acc + ((d.positions[q + ax] - e.centreLps[ax]) / a) ** 2, 0));
      worst = Math.max(worst, Math.abs(r - 1) * 17);
    }
    expect(worst).toBeLessThan(2.0);
  });
});
