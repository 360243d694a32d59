// Minimum distance between two spheres with a known gap, and a plane cut through an analytic ellipsoid, on oblique
// anisotropic grids: the distance within half a voxel diagonal, the remnant fraction within 1 % of the exact cap
// fraction, the tumour margin within a voxel of the analytic one; the same through the CLI.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelMask, minDistanceBetween } from '../../../shared/domain/planning/minDistance.js';
import { resectByPlane, resectByRegion } from '../../../shared/domain/planning/resection.js';
import { ijkToLps, norm, sub, voxelVolumeMl, type Mat3, type Vec3 } from '../../../shared/domain/volume.js';
import { writeNifti } from '../../../main/services/nifti/nifti.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { ellipsoidFractionOnPositiveSide, ellipsoidVolumeMm3, obliqueDirection, paintEllipsoids, type Ellipsoid } from '../../helpers/planningPhantoms.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'medseg-plan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spacing: Vec3 = [0.9, 1.2, 2.5];
const halfDiagonal = 0.5 * Math.hypot(...spacing);

describe('minimum distance', () => {
  const a: Ellipsoid = { value: 1, centreLps: [-10, 5, 30], semiAxesMm: [12, 12, 12] };
  for (const gap of [4, 9.5]) {
    it(`two spheres ${gap} mm apart on an oblique anisotropic grid: within half a voxel diagonal, points on the spheres`, async () => {
      const dir: Vec3 = [0.6, -0.48, 0.64]; // unit
      const rb = 8;
      const cb = a.centreLps.map((c, q) => c + dir[q] * (12 + gap + rb)) as Vec3;
      const b: Ellipsoid = { value: 2, centreLps: cb, semiAxesMm: [rb, rb, rb] };
      const grid = paintEllipsoids(spacing, obliqueDirection(0.35, 0.2), 80, [0, 0, 40], [a, b]);
      const d = minDistanceBetween(grid, labelMask(grid.labels, 1), labelMask(grid.labels, 2));
      expect(Math.abs(d.minDistanceMm - gap)).toBeLessThan(halfDiagonal);
      expect(norm(sub(d.fromPointLps, d.toPointLps))).toBeCloseTo(d.minDistanceMm, 9);
      // the points are voxel centres inside their spheres, near the surfaces facing each other
      expect(norm(sub(d.fromPointLps, a.centreLps))).toBeLessThanOrEqual(12);
      expect(norm(sub(d.fromPointLps, a.centreLps))).toBeGreaterThan(12 - 2 * halfDiagonal);
      expect(norm(sub(d.toPointLps, cb))).toBeLessThanOrEqual(rb);
      expect(d.fromPointLps).toEqual(ijkToLps(grid, d.fromIjk));
      // brute force over every pair of voxel centres agrees exactly
      const pa: Vec3[] = [];
      const pb: Vec3[] = [];
      grid.labels.forEach((v, p) => {
        if (v === 0) return;
        const k = Math.floor(p / (grid.dims[0] * grid.dims[1]));
        const j = Math.floor((p - k * grid.dims[0] * grid.dims[1]) / grid.dims[0]);
        const i = p - grid.dims[0] * (j + grid.dims[1] * k);
        (v === 1 ? pa : pb).push(ijkToLps(grid, [i, j, k]));
      });
      let best = Infinity;
      for (const x of pa) for (const y of pb) best = Math.min(best, norm(sub(x, y)));
      expect(d.minDistanceMm).toBeCloseTo(best, 6);
      if (gap === 4) {
        const f = path.join(tmp, 'spheres.nii.gz');
        await writeNifti(f, { ...grid, voxels: grid.labels }, { labels: true });
        writeFileSync(path.join(tmp, 'names.csv'), '1,portal vein\n2,liver tumour\n');
        const r = await runCliCaptured(['distance', f, '--from', 'liver tumour', '--to', '1', '--label-names', path.join(tmp, 'names.csv'), '--json']);
        expect(r.code).toBe(0);
        const json = JSON.parse(r.stdout);
        expect(json.minDistanceMm).toBeCloseTo(d.minDistanceMm, 4);
        // (ties: the pair may differ from the reverse query, the distance does not)
        expect(norm(sub(json.fromPointLps, json.toPointLps))).toBeCloseTo(json.minDistanceMm, 6);
        expect(norm(sub(json.fromPointLps, cb))).toBeLessThanOrEqual(rb);
      }
    });
  }

  it('overlapping labels give 0; a sheared grid and an empty label are refused with INVALID_INPUT', () => {
    const grid = paintEllipsoids([1, 1, 1], obliqueDirection(0, 0), 30, [0, 0, 0], [{ value: 1, centreLps: [0, 0, 0], semiAxesMm: [8, 8, 8] }]);
    const m = labelMask(grid.labels, 1);
    expect(minDistanceBetween(grid, m, m).minDistanceMm).toBe(0);
    expect(() => minDistanceBetween(grid, m, labelMask(grid.labels, 5))).toThrow(/no voxel/);
    const sheared: Mat3 = [
      [1, 0, 0],
      [0, 1, 0],
      [0.3, 0, 0.954],
    ];
    expect(() => minDistanceBetween({ ...grid, directionLps: sheared }, m, m)).toThrow(/sheared/);
  });
});

describe('virtual resection by a plane', () => {
  const liver: Ellipsoid = { value: 5, centreLps: [30, -10, 60], semiAxesMm: [40, 28, 22] };
  const tumour: Ellipsoid = { value: 9, centreLps: [52, -10, 60], semiAxesMm: [6, 6, 6] };
  const grid = paintEllipsoids(spacing, obliqueDirection(-0.3, 0.4), 100, [30, -10, 60], [liver, tumour]);
  const lesions = [{ value: 9, name: 'liver tumour' }];

  for (const [label, pointLps, normalLps] of [
    ['through the centre, oblique', [30, -10, 60], [0.48, 0.6, 0.64]],
    ['off centre, tilted', [38, -6, 57], [0.8, -0.36, 0.48]],
    ['near the tip', [60, -10, 60], [-1, 0, 0]],
  ] as [string, Vec3, Vec3][]) {
    it(`${label}: remnant percentage within 1 % of the exact cap fraction, band around it`, () => {
      const r = resectByPlane(grid, 5, { pointLps, normalLps }, 'positive', lesions);
      // The tumour is another label: the organ is the ellipsoid minus the tumour ball, both analytic.
      const tumourKept = ellipsoidFractionOnPositiveSide(tumour, pointLps, normalLps);
      const liverVol = ellipsoidVolumeMm3(liver) - ellipsoidVolumeMm3(tumour);
      const keptVol = ellipsoidFractionOnPositiveSide(liver, pointLps, normalLps) * ellipsoidVolumeMm3(liver) - tumourKept * ellipsoidVolumeMm3(tumour);
      const exactPercent = (100 * keptVol) / liverVol;
      expect(Math.abs(r.remnantPercent - exactPercent)).toBeLessThan(0.01 * Math.max(exactPercent, 100 - exactPercent));
      expect(Math.abs(r.organMl / (liverVol / 1000) - 1)).toBeLessThan(0.01);
      expect(r.remnantMl + r.resectedMl).toBeCloseTo(r.organMl, 9);
      expect(r.remnantPercentLower).toBeLessThan(r.remnantPercent);
      expect(r.remnantPercentUpper).toBeGreaterThan(r.remnantPercent);
      expect(r.organMlLower).toBeLessThan(r.organMl);
      expect(r.organMlUpper).toBeGreaterThan(r.organMl);
      // keeping the other side swaps remnant and resected
      const other = resectByPlane(grid, 5, { pointLps, normalLps }, 'negative', lesions);
      expect(other.remnantMl).toBeCloseTo(r.resectedMl, 9);
    });
  }

  it('tumour margin: the distance from the tumour to the plane within a voxel of the analytic one, negative when cut through', () => {
    // the tumour (centre L = 52, radius 6) on the resected side of a plane at L = 40 whose normal points to −L
    const r = resectByPlane(grid, 5, { pointLps: [40, 0, 0], normalLps: [-1, 0, 0] }, 'positive', lesions);
    expect(r.marginsMm).toHaveLength(1);
    expect(r.marginsMm[0]).toMatchObject({ label: 9, name: 'liver tumour', instance: 1 });
    expect(Math.abs(r.marginsMm[0].marginMm - 6)).toBeLessThan(2 * halfDiagonal);
    expect(r.marginsMm[0].marginMm).toBeLessThanOrEqual(6);
    const through = resectByPlane(grid, 5, { pointLps: [52, 0, 0], normalLps: [-1, 0, 0] }, 'positive', lesions);
    expect(through.marginsMm[0].marginMm).toBeLessThan(-5);
  });

  it('a painted region is confined to the organ; the CLI gives the same figures as the domain', async () => {
    // paint a slab that also covers background and the tumour: only liver voxels count as resected
    const region = new Uint8Array(grid.labels.length);
    let organInRegion = 0;
    grid.labels.forEach((v, p) => {
      const k = Math.floor(p / (grid.dims[0] * grid.dims[1]));
      if (k < grid.dims[2] / 2) {
        region[p] = 1;
        if (v === 5) organInRegion++;
      }
    });
    const r = resectByRegion(grid, 5, region, lesions);
    expect(r.resectedMl).toBeCloseTo(organInRegion * voxelVolumeMl(grid), 9);
    // the tumour's margin to the remnant (organ voxels outside the region) equals brute force over voxel centres
    const centreOf = (p: number): Vec3 => {
      const k = Math.floor(p / (grid.dims[0] * grid.dims[1]));
      const j = Math.floor((p - k * grid.dims[0] * grid.dims[1]) / grid.dims[0]);
      return ijkToLps(grid, [p - grid.dims[0] * (j + grid.dims[1] * k), j, k]);
    };
    const tumourAt: Vec3[] = [];
    const remnantAt: Vec3[] = [];
    grid.labels.forEach((v, p) => {
      if (v === 9) tumourAt.push(centreOf(p));
      else if (v === 5 && !region[p]) remnantAt.push(centreOf(p));
    });
    let brute = Infinity;
    for (const x of tumourAt) for (const y of remnantAt) brute = Math.min(brute, norm(sub(x, y)));
    // a tumour with a remnant voxel as a face neighbour is not enclosed by the region: margin 0
    const [nx, ny] = grid.dims;
    let touches = false;
    grid.labels.forEach((v, p) => {
      if (v !== 9) return;
      for (const q of [p - 1, p + 1, p - nx, p + nx, p - nx * ny, p + nx * ny])
        if (q >= 0 && q < grid.labels.length && grid.labels[q] === 5 && !region[q]) touches = true;
    });
    expect(r.marginsMm).toHaveLength(1);
    expect(r.marginsMm[0].marginMm).toBeCloseTo(touches ? 0 : brute, 6);
    const f = path.join(tmp, 'liver.nii.gz');
    await writeNifti(f, { ...grid, voxels: grid.labels }, { labels: true });
    const plane = { pointLps: [38, -6, 57] as Vec3, normalLps: [0.8, -0.36, 0.48] as Vec3 };
    const cli = await runCliCaptured(['resect', f, '--organ', '5', '--plane', '38,-6,57:0.8,-0.36,0.48', '--lesion-labels', '9', '--json']);
    expect(cli.code).toBe(0);
    const json = JSON.parse(cli.stdout);
    const direct = resectByPlane(grid, 5, plane, 'positive', [{ value: 9, name: 'label 9' }]);
    for (const key of ['organMl', 'resectedMl', 'remnantMl', 'remnantPercent', 'remnantPercentLower', 'remnantPercentUpper'] as const) {
      expect(json[key]).toBeCloseTo(direct[key], 3);
    }
    expect(json.marginsMm).toHaveLength(1);
    const regionFile = path.join(tmp, 'region.nii.gz');
    await writeNifti(regionFile, { ...grid, voxels: region }, { labels: true });
    const viaRegion = JSON.parse((await runCliCaptured(['resect', f, '--organ', '5', '--region', regionFile, '--json'])).stdout);
    expect(viaRegion.resectedMl).toBeCloseTo(r.resectedMl, 3);
  });
});
