// Resection by a painted region on an analytic phantom (ellipsoid liver with a spherical tumour, oblique anisotropic
// grid): the half-space region is the plane cut (remnant % within 1 % of plane mode and of the exact cap fraction),
// the tumour's margin to the remnant within a voxel of the analytic gap, the brush confined to the organ, the run
// lengths round-trip, and the CLI's --region prints the plane mode's keys with the domain's figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { resectByPlane, resectByRegion } from '../../../shared/domain/planning/resection.js';
import { decodeRegionRuns, encodeRegionRuns, regionVoxelCount, strokeRegion } from '../../../shared/domain/planning/resectionRegion.js';
import { dot, ijkToLps, lpsToIjk, norm, sub, type Vec3 } from '../../../shared/domain/volume.js';
import { writeNifti } from '../../../main/services/nifti/nifti.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { ellipsoidFractionOnPositiveSide, ellipsoidVolumeMm3, obliqueDirection, paintEllipsoids, type Ellipsoid } from '../../helpers/planningPhantoms.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'medseg-region-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spacing: Vec3 = [0.9, 1.2, 2.5];
const voxelDiagonal = Math.hypot(...spacing);
const liver: Ellipsoid = { value: 5, centreLps: [30, -10, 60], semiAxesMm: [40, 28, 22] };
const tumour: Ellipsoid = { value: 9, centreLps: [52, -10, 60], semiAxesMm: [6, 6, 6] };
const grid = paintEllipsoids(spacing, obliqueDirection(-0.3, 0.4), 100, [30, -10, 60], [liver, tumour]);
const lesions = [{ value: 9, name: 'liver tumour' }];
const n = grid.labels.length;

/** The voxels whose centre lies on the negative side of the plane (what a plane cut keeping 'positive' resects). */
function halfSpaceRegion(pointLps: Vec3, normalLps: Vec3): Uint8Array {
  const region = new Uint8Array(n);
  const [nx, ny] = grid.dims;
  for (let p = 0; p < n; p++) {
    const k = Math.floor(p / (nx * ny));
    const j = Math.floor((p - k * nx * ny) / nx);
    const i = p - nx * (j + ny * k);
    if (dot(sub(ijkToLps(grid, [i, j, k]), pointLps), normalLps) < 0) region[p] = 1;
  }
  return region;
}

describe('resection by a painted region', () => {
  for (const [label, pointLps, normalLps] of [
    ['through the centre, oblique', [30, -10, 60], [0.48, 0.6, 0.64]],
    ['off centre, tilted', [38, -6, 57], [0.8, -0.36, 0.48]],
    ['near the tip', [60, -10, 60], [-1, 0, 0]],
  ] as [string, Vec3, Vec3][]) {
    it(`a half-space region ${label}: the same remnant % as the plane within 1 %, and the exact cap fraction within 1 %`, () => {
      const byPlane = resectByPlane(grid, 5, { pointLps, normalLps }, 'positive', lesions);
      const byRegion = resectByRegion(grid, 5, halfSpaceRegion(pointLps, normalLps), lesions);
      const tol = (pct: number): number => 0.01 * Math.max(pct, 100 - pct);
      expect(Math.abs(byRegion.remnantPercent - byPlane.remnantPercent)).toBeLessThan(tol(byPlane.remnantPercent));
      const liverVol = ellipsoidVolumeMm3(liver) - ellipsoidVolumeMm3(tumour);
      const keptVol =
        ellipsoidFractionOnPositiveSide(liver, pointLps, normalLps) * ellipsoidVolumeMm3(liver) -
        ellipsoidFractionOnPositiveSide(tumour, pointLps, normalLps) * ellipsoidVolumeMm3(tumour);
      const exact = (100 * keptVol) / liverVol;
      expect(Math.abs(byRegion.remnantPercent - exact)).toBeLessThan(tol(exact));
      // the same organ and band rule: organ figures identical, remnant + resected = organ, band around the value
      expect(byRegion.organMl).toBeCloseTo(byPlane.organMl, 9);
      expect(byRegion.organMlLower).toBeCloseTo(byPlane.organMlLower, 9);
      expect(byRegion.remnantMl + byRegion.resectedMl).toBeCloseTo(byRegion.organMl, 9);
      expect(byRegion.remnantPercentLower).toBeLessThan(byRegion.remnantPercent);
      expect(byRegion.remnantPercentUpper).toBeGreaterThan(byRegion.remnantPercent);
    });
  }

  it('tumour margin 6 and 3 mm from the cut: within a voxel diagonal of the analytic gap, and of the plane mode’s margin', () => {
    // liver beyond L = 40 resected (the tumour, centre L = 52, radius 6, lies 6 mm inside the resected part)
    for (const [cutAt, gap] of [
      [40, 6],
      [43, 3],
    ]) {
      const r = resectByRegion(grid, 5, halfSpaceRegion([cutAt, 0, 0], [-1, 0, 0]), lesions);
      expect(r.marginsMm).toHaveLength(1);
      expect(r.marginsMm[0]).toMatchObject({ label: 9, name: 'liver tumour', instance: 1 });
      expect(Math.abs(r.marginsMm[0].marginMm - gap)).toBeLessThan(voxelDiagonal);
      // plane mode measures to the plane itself: the two agree within a voxel diagonal
      const plane = resectByPlane(grid, 5, { pointLps: [cutAt, 0, 0], normalLps: [-1, 0, 0] }, 'positive', lesions);
      expect(Math.abs(r.marginsMm[0].marginMm - plane.marginsMm[0].marginMm)).toBeLessThan(voxelDiagonal);
    }
    // the other half resected: the tumour stays in the remnant, margin 0 (not a one-voxel distance to it)
    const left = resectByRegion(grid, 5, halfSpaceRegion([40, 0, 0], [1, 0, 0]), lesions);
    expect(left.marginsMm[0].marginMm).toBe(0);
    expect(resectByPlane(grid, 5, { pointLps: [40, 0, 0], normalLps: [1, 0, 0] }, 'positive', lesions).marginsMm[0].marginMm).toBeLessThan(-10);
  });

  it('the brush paints only organ voxels (a sphere half outside the liver), erases anything; the input mask is untouched', () => {
    const tipLps: Vec3 = [30 - 40, -10, 60]; // the liver's right tip: a 10 mm sphere there is half outside
    const at = lpsToIjk(grid, tipLps);
    const empty = new Uint8Array(n);
    const { region, changed } = strokeRegion(grid, grid.labels, 5, empty, { mode: 'paint', pathIjk: [at], radiusMm: 10, shape: 'sphere' });
    expect(regionVoxelCount(empty)).toBe(0);
    let inBall = 0;
    let organInBall = 0;
    for (let p = 0; p < n; p++) {
      const k = Math.floor(p / (grid.dims[0] * grid.dims[1]));
      const j = Math.floor((p - k * grid.dims[0] * grid.dims[1]) / grid.dims[0]);
      const i = p - grid.dims[0] * (j + grid.dims[1] * k);
      if (norm(sub(ijkToLps(grid, [i, j, k]), tipLps)) <= 10) {
        inBall++;
        if (grid.labels[p] === 5) organInBall++;
      }
      if (region[p]) expect(grid.labels[p]).toBe(5);
    }
    expect(changed).toBe(organInBall);
    expect(regionVoxelCount(region)).toBe(organInBall);
    expect(organInBall).toBeGreaterThan(0.2 * inBall);
    expect(organInBall).toBeLessThan(0.8 * inBall);
    const erased = strokeRegion(grid, grid.labels, 5, region, { mode: 'erase', pathIjk: [at], radiusMm: 11, shape: 'sphere' });
    expect([erased.changed, regionVoxelCount(erased.region)]).toEqual([organInBall, 0]);
  });

  it('run lengths round-trip any mask; runs that do not cover the grid are refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        const mask = bytes.map((b) => (b > 200 ? 1 : 0));
        const runs = encodeRegionRuns(mask);
        expect(runs.reduce((s, r) => s + r, 0)).toBe(mask.length);
        expect(Array.from(decodeRegionRuns(runs, mask.length))).toEqual(Array.from(mask));
      }),
    );
    expect(encodeRegionRuns([1, 1, 0, 0, 0, 1])).toEqual([0, 2, 3, 1]);
    expect(() => decodeRegionRuns([0, 2, 3], 6)).toThrow(/cover 5 voxels/);
    expect(() => decodeRegionRuns([0, 7], 6)).toThrow(/do not describe/);
    expect(() => decodeRegionRuns([1.5, 4.5], 6)).toThrow(/do not describe/);
  });

  it('medseg resect --region prints the plane mode keys with the domain figures; a region on another grid is refused', async () => {
    const f = path.join(tmp, 'liver.nii.gz');
    await writeNifti(f, { ...grid, voxels: grid.labels }, { labels: true });
    const region = halfSpaceRegion([38, -6, 57], [0.8, -0.36, 0.48]);
    const regionFile = path.join(tmp, 'region.nii.gz');
    await writeNifti(regionFile, { ...grid, voxels: region }, { labels: true });
    const viaPlane = JSON.parse(
      (await runCliCaptured(['resect', f, '--organ', '5', '--plane', '38,-6,57:0.8,-0.36,0.48', '--lesion-labels', '9', '--json'])).stdout,
    );
    const cli = await runCliCaptured(['resect', f, '--organ', '5', '--region', regionFile, '--lesion-labels', '9', '--json']);
    expect(cli.code).toBe(0);
    const json = JSON.parse(cli.stdout);
    expect(Object.keys(json).sort()).toEqual(Object.keys(viaPlane).sort());
    const direct = resectByRegion(grid, 5, region, [{ value: 9, name: 'label 9' }]);
    for (const key of ['organMl', 'resectedMl', 'remnantMl', 'remnantPercent', 'remnantPercentLower', 'remnantPercentUpper'] as const) {
      expect(json[key]).toBeCloseTo(direct[key], 3);
    }
    expect(json.marginsMm.map((m: { marginMm: number }) => m.marginMm)).toEqual(direct.marginsMm.map((m) => expect.closeTo(m.marginMm, 3)));
    const other = path.join(tmp, 'other.nii.gz');
    await writeNifti(other, { ...grid, spacingMm: [1, 1, 1], voxels: region }, { labels: true });
    const refused = await runCliCaptured(['resect', f, '--organ', '5', '--region', other, '--json']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/INCONSISTENT_GEOMETRY|not on the label map grid/);
  });
});
