// Surfaces of analytic ellipsoids on oblique, anisotropic (and mirrored) grids: closed, outward, and enclosing the
// analytic and the voxel volume within 1 % at full resolution; the triangle budget is kept.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labelSurface } from '../../../shared/domain/mesh/labelSurface.js';
import { edgeTopology, meshVolume } from '../../../shared/domain/mesh/meshMetrics.js';
import { voxelVolumeMl, type Vec3 } from '../../../shared/domain/volume.js';
import { REPO_DIR } from '../../helpers/paths.js';
import { surfacesInProcess } from '../../../main/services/planning/surfaceRunner.js';
import { ellipsoidVolumeMm3, obliqueDirection, paintEllipsoids, type Ellipsoid } from '../../helpers/planningPhantoms.js';

const centre: Vec3 = [12, -30, 85];
const ellipsoid: Ellipsoid = { value: 3, centreLps: [14, -28, 88], semiAxesMm: [22, 17, 26] };
const small: Ellipsoid = { value: 7, centreLps: [40, -55, 60], semiAxesMm: [6, 6, 6] };

function voxelCount(labels: Uint8Array, value: number): number {
  let n = 0;
  for (const v of labels) if (v === value) n++;
  return n;
}

describe('labelSurface on analytic phantoms', () => {
  // 0.8 x 1.1 x 2.0 mm voxels, axes rotated 17° and 29°: the semi-axes span 11–27 voxels.
  const spacing: Vec3 = [0.8, 1.1, 2.0];
  for (const mirror of [false, true]) {
    it(`an ellipsoid on an oblique anisotropic ${mirror ? 'mirrored ' : ''}grid: closed, outward, volume within 1 % of analytic and voxels`, () => {
      const grid = paintEllipsoids(spacing, obliqueDirection(0.3, 0.5, mirror), 90, centre, [ellipsoid, small]);
      const s = labelSurface(grid, 3, { targetTriangles: 1_000_000 });
      expect(s.step).toBe(1);
      const topo = edgeTopology(s.mesh);
      expect(topo.unpairedEdges).toBe(0);
      expect(topo.repeatedEdges).toBe(0);
      expect(meshVolume(s.mesh)).toBeGreaterThan(0); // outward winding
      const analytic = ellipsoidVolumeMm3(ellipsoid);
      const voxels = voxelCount(grid.labels, 3) * voxelVolumeMl(grid) * 1000;
      expect(Math.abs(s.meshVolumeMm3 / analytic - 1)).toBeLessThan(0.01);
      expect(Math.abs(s.meshVolumeMm3 / voxels - 1)).toBeLessThan(0.01);
      // every vertex near the analytic surface: (x/a)^2+... within the voxel scale
      const p = s.mesh.positions;
      let worst = 0;
      for (let q = 0; q < p.length; q += 3) {
        const r = Math.sqrt(ellipsoid.semiAxesMm.reduce((acc, a, ax) => acc + ((p[q + ax] - ellipsoid.centreLps[ax]) / a) ** 2, 0));
        worst = Math.max(worst, Math.abs(r - 1) * 17);
      }
      expect(worst).toBeLessThan(2.0); // mm along the shortest semi-axis, about one slice
    });
  }

  // measured: +0.09 % at 2/3 of the full triangle count (collapses only), −0.42 % at 1/8 (2³ blocks, then collapses)
  it('keeps the triangle budget (edge collapse, after coarser blocks when far over it): closed, within 1 % of the analytic volume', () => {
    const grid = paintEllipsoids(spacing, obliqueDirection(0.3, 0.5), 90, centre, [ellipsoid]);
    const full = labelSurface(grid, 3, { targetTriangles: 1_000_000 });
    const n = full.mesh.triangles.length / 3;
    for (const [budget, coarser] of [
      [Math.floor(n / 1.5), false],
      [Math.floor(n / 8), true],
    ] as const) {
      const s = labelSurface(grid, 3, { targetTriangles: budget });
      expect(s.step > 1).toBe(coarser);
      expect(s.mesh.triangles.length / 3).toBeLessThanOrEqual(budget);
      const topo = edgeTopology(s.mesh);
      expect([topo.unpairedEdges, topo.repeatedEdges]).toEqual([0, 0]);
      expect(Math.abs(s.meshVolumeMm3 / ellipsoidVolumeMm3(ellipsoid) - 1)).toBeLessThan(0.01);
    }
  });

  it('a sphere: area within 4 % of 4πR² (measured +2.7 %: residual ripple), smoothing does not shrink it, and an absent label gives an empty surface', () => {
    const sphere: Ellipsoid = { value: 1, centreLps: centre, semiAxesMm: [20, 20, 20] };
    const grid = paintEllipsoids([1, 1, 1.5], obliqueDirection(0.2, -0.4), 60, centre, [sphere]);
    const smoothed = labelSurface(grid, 1, { targetTriangles: 1_000_000 });
    const raw = labelSurface(grid, 1, { targetTriangles: 1_000_000, taubinIterations: 0 });
    expect(Math.abs(smoothed.areaMm2 / (4 * Math.PI * 400) - 1)).toBeLessThan(0.04);
    expect(Math.abs(smoothed.meshVolumeMm3 / raw.meshVolumeMm3 - 1)).toBeLessThan(0.003);
    const empty = labelSurface(grid, 9);
    expect([empty.mesh.triangles.length, empty.meshVolumeMm3, empty.bounds]).toEqual([0, 0, null]);
  });

  it('a label touching the grid edge is capped there: still closed', () => {
    const grid = paintEllipsoids([1.5, 1.5, 1.5], obliqueDirection(0, 0), 30, centre, [{ value: 2, centreLps: centre, semiAxesMm: [20, 8, 8] }]);
    const s = labelSurface(grid, 2);
    const topo = edgeTopology(s.mesh);
    expect([topo.unpairedEdges, topo.repeatedEdges]).toEqual([0, 0]);
    expect(meshVolume(s.mesh)).toBeGreaterThan(0);
  });
});

// The worker runs compiled JS: this uses the runner from dist/ (npm test builds first).
describe('mesh worker', () => {
  it('gives the in-process surfaces from the compiled worker thread', async () => {
    const runner = `${REPO_DIR}/dist/main/services/planning/surfaceRunner.js`;
    for (const file of [runner, `${REPO_DIR}/dist/main/workers/meshWorker.js`])
      expect(existsSync(file), `${file} is missing: run npm run build first`).toBe(true);
    const dist = (await import(pathToFileURL(runner).href)) as typeof import('../../../main/services/planning/surfaceRunner.js');
    const grid = paintEllipsoids([1.2, 1.2, 2], obliqueDirection(0.3, 0.5), 50, centre, [{ ...ellipsoid, semiAxesMm: [12, 9, 14] }]);
    const inWorker = await dist.computeSurfaces(grid, [3], 20_000, 'worker');
    const inProcess = surfacesInProcess(grid, [3], 20_000);
    expect(inWorker[0].triangles).toEqual(inProcess[0].triangles);
    expect(inWorker[0].vertices).toEqual(inProcess[0].vertices);
    expect(inWorker[0].voxels).toBe(inProcess[0].voxels);
    expect(grid.labels.some((v) => v === 3)).toBe(true); // the caller's labels were copied, not taken
  });
});
