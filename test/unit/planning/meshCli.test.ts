// `medseg mesh`, `distance` and `resect` on phantom NIfTI files (oblique anisotropic grids): files read back by
// independent readers (numpy-stl for STL, VTK for OBJ and PLY) with the same vertices in the chosen space; unsafe
// geometry refused with UNSAFE_GEOMETRY by every command; usage errors exit 2.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelSurface } from '../../../shared/domain/mesh/labelSurface.js';
import { positionsInSpace } from '../../../shared/domain/mesh/meshFormats.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { readNiftiLabels, writeNifti } from '../../../main/services/nifti/nifti.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { REPO_DIR } from '../../helpers/paths.js';
import { obliqueDirection, paintEllipsoids, type Ellipsoid } from '../../helpers/planningPhantoms.js';

const centre: Vec3 = [-20, 15, 40];
const organ: Ellipsoid = { value: 1, centreLps: [-18, 14, 42], semiAxesMm: [14, 11, 16] };
const tumour: Ellipsoid = { value: 2, centreLps: [8, 16, 40], semiAxesMm: [5, 5, 5] };
let tmp = '';
let labelsPath = '';
let namesPath = '';

interface Readback {
  path: string;
  header: string;
  triangles?: number;
  corners?: number[];
  points?: number[];
  cells?: number[];
  volume: number;
}

function readBack(files: string[]): Readback[] {
  // No fallback: without numpy-stl or VTK this fails (Debian python3-stl, python3-vtk9).
  return JSON.parse(
    execFileSync('/usr/bin/python3', [path.join(REPO_DIR, 'test/reference/meshReadback.py'), ...files], { encoding: 'utf8', maxBuffer: 1 << 28 }),
  );
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'medseg-mesh-'));
  const grid = paintEllipsoids([0.9, 1.3, 2.2], obliqueDirection(0.25, -0.45), 60, centre, [organ, tumour]);
  labelsPath = path.join(tmp, 'phantom.nii.gz');
  await writeNifti(labelsPath, { ...grid, voxels: grid.labels }, { labels: true });
  namesPath = path.join(tmp, 'names.csv');
  writeFileSync(namesPath, 'value,name\n1,liver\n2,liver tumour\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('medseg mesh', () => {
  it('writes one binary STL per label in RAS, read back by numpy-stl with the same corners, outward, SPACE=RAS in the header', async () => {
    const out = path.join(tmp, 'all.stl');
    const r = await runCliCaptured(['mesh', labelsPath, '-o', out, '--space', 'ras', '--label-names', namesPath, '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.space).toBe('ras');
    expect(json.labels.map((l: { value: number; name: string }) => [l.value, l.name])).toEqual([
      [1, 'liver'],
      [2, 'liver tumour'],
    ]);
    const files = [path.join(tmp, 'all-liver.stl'), path.join(tmp, 'all-liver_tumour.stl')];
    expect(json.labels.map((l: { file: string }) => l.file)).toEqual(files);
    const grid = await readNiftiLabels(labelsPath);
    const back = readBack(files);
    for (const [n, label] of json.labels.entries()) {
      const b = back[n];
      expect(b.header).toMatch(/SPACE=RAS/);
      expect(b.triangles).toBe(label.triangles);
      // Our own surface, put in RAS: the reader's triangle corners are the same points.
      const s = labelSurface(grid, label.value, { targetTriangles: 100_000 });
      const ras = positionsInSpace(s.mesh.positions, 'ras');
      let worst = 0;
      s.mesh.triangles.forEach((v, c) => {
        for (let a = 0; a < 3; a++) worst = Math.max(worst, Math.abs(b.corners![c * 3 + a] - ras[v * 3 + a]));
      });
      expect(worst).toBeLessThan(1e-4);
      // positive volume in the reader's own computation: the normals face out in RAS too
      expect(b.volume / 1000 / label.meshVolumeMl).toBeCloseTo(1, 4);
      expect(Math.abs(label.meshVolumeMl / label.voxelVolumeMl - 1)).toBeLessThan(0.02);
    }
  });

  it('OBJ and PLY of one label in LPS, read by VTK: same points and triangles, SPACE=LPS in the comment', async () => {
    const grid = await readNiftiLabels(labelsPath);
    const s = labelSurface(grid, 1, { targetTriangles: 100_000 });
    for (const ext of ['obj', 'ply']) {
      const out = path.join(tmp, `liver.${ext}`);
      const r = await runCliCaptured(['mesh', labelsPath, '-o', out, '--label', 'liver', '--label-names', namesPath, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).labels).toHaveLength(1);
      const [b] = readBack([out]);
      expect(b.header).toMatch(/SPACE=LPS/);
      expect(b.points!.length).toBe(s.mesh.positions.length);
      let worst = 0;
      b.points!.forEach((x, q) => (worst = Math.max(worst, Math.abs(x - s.mesh.positions[q]))));
      expect(worst).toBeLessThan(1e-4);
      expect(b.cells).toEqual(Array.from(s.mesh.triangles));
      expect(b.volume / s.meshVolumeMm3).toBeCloseTo(1, 4);
    }
  });

  it('refuses unsafe geometry (UNSAFE_GEOMETRY) in mesh, distance and resect; usage errors exit 2', async () => {
    const grid = paintEllipsoids([2, 2, 2], obliqueDirection(0, 0), 30, centre, [organ]);
    const unsafe = path.join(tmp, 'unsafe.nii.gz');
    await writeNifti(
      unsafe,
      { ...grid, voxels: grid.labels },
      { labels: true, geometry: { status: 'unsafe', findings: [{ code: 'MISSING_SLICE', severity: 'unsafe', message: 'a slice is missing' }] } },
    );
    for (const args of [
      ['mesh', unsafe, '-o', path.join(tmp, 'x.stl')],
      ['distance', unsafe, '--from', '1', '--to', '1'],
      ['resect', unsafe, '--organ', '1', '--plane', '0,0,0:0,0,1'],
    ]) {
      const r = await runCliCaptured([...args, '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).error.code).toBe('UNSAFE_GEOMETRY');
      expect(r.stderr).toMatch(/MISSING_SLICE/);
    }
    expect((await runCliCaptured(['mesh', labelsPath, '-o', path.join(tmp, 'x.vtk')])).code).toBe(2);
    expect((await runCliCaptured(['mesh', labelsPath, '-o', path.join(tmp, 'x.stl'), '--space', 'xyz'])).code).toBe(2);
    expect((await runCliCaptured(['resect', labelsPath, '--organ', '1', '--plane', '1,2:0,0,1'])).code).toBe(2);
    const noLabel = await runCliCaptured(['distance', labelsPath, '--from', 'spleen', '--to', '1', '--json']);
    expect(JSON.parse(noLabel.stdout).error.code).toBe('INVALID_INPUT');
    expect(readFileSync(labelsPath).length).toBeGreaterThan(0);
  });
});
