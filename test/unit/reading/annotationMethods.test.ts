// annotations.* through the method table on the real CT (schemas checked both ways by dispatch): a ruler placed
// 60 mm apart by the dcm2niix/nibabel grid measures 60 mm, an angle of known arms, a freehand ROI whose HU
// mean/SD/area match numpy on the same voxel centres of the nibabel grid (test/reference/roiReference.py); stored per
// series, listed in drawing order, deleted; bad input is refused with a code.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import type { MethodOutput, RpcReply } from '../../../shared/ipc/contract.js';
import { ijkToLps, lpsToIjk, type Vec3, type VolumeGeometry } from '../../../shared/domain/volume.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const DATA = `${DATA_DIR}/totalsegmentator_example`;
let db: Database;
let table: ServiceTable;
let grid: VolumeGeometry;
const call = (method: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, method, input, { emit: () => undefined });
const result = async <T>(r: Promise<RpcReply<unknown>>): Promise<T> => {
  const reply = await r;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
};
const create = (input: unknown) => result<MethodOutput<'annotations.create'>>(call('annotations.create', { seriesId: 1, ...(input as object) }));

beforeAll(async () => {
  db = openDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'medseg-reading-')), 'cat.db'));
  table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
  await result(call('import.paths', { paths: [path.join(DATA, 'example_ct_dicom')] }));
  const info = await result<MethodOutput<'volume.info'>>(call('volume.info', { seriesId: 1 }));
  grid = info;
  expect(info.modality).toBe('CT');
}, 120_000);

describe('annotations', () => {
  it('a ruler 60 mm long in patient space measures 60 mm; an angle of perpendicular arms is 90°', async () => {
    const a = lpsToIjk(grid, ijkToLps(grid, [200, 250, 10]));
    const aLps = ijkToLps(grid, a);
    // 60 mm along L from the same point, placed in LPS and taken back to voxel coordinates.
    const b = lpsToIjk(grid, [aLps[0] + 60, aLps[1], aLps[2]]);
    const ruler = await create({ kind: 'ruler', pointsIjk: [a, b] });
    expect(ruler.result.lengthMm).toBeCloseTo(60, 6);
    expect(ruler.pointsLps[1]![0] - ruler.pointsLps[0]![0]).toBeCloseTo(60, 6);
    const c = lpsToIjk(grid, [aLps[0], aLps[1] + 40, aLps[2]]);
    const angle = await create({ kind: 'angle', pointsIjk: [b, a, c] });
    expect(angle.result.angleDeg).toBeCloseTo(90, 6);
  });

  it('a freehand ROI gives the HU mean, SD and area numpy finds on the same voxel centres of the dcm2niix grid', async () => {
    // A pentagon on slice 10 around the middle of the image (in voxel coordinates, off the voxel centres).
    const pointsIjk: Vec3[] = [
      [230.3, 240.2, 10],
      [290.7, 250.4, 10],
      [300.1, 300.9, 10],
      [255.5, 320.3, 10],
      [220.2, 290.6, 10],
    ];
    const roi = await create({ kind: 'freehand', pointsIjk });
    const tmp = mkdtempSync(path.join(tmpdir(), 'medseg-roi-ref-'));
    const ref = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(REPO_DIR, 'test/reference/roiReference.py'), DATA, tmp, JSON.stringify(roi.pointsLps)], { encoding: 'utf8' }),
    ) as { count: number; mean: number; sd: number; areaMm2: number };
    const stats = roi.result.roi!;
    expect(stats.unit).toBe('HU');
    expect(stats.voxelCount).toBe(ref.count);
    expect(ref.count).toBeGreaterThan(1000);
    expect(stats.mean).toBeCloseTo(ref.mean, 6);
    expect(stats.sd).toBeCloseTo(ref.sd, 6);
    expect(stats.areaMm2).toBeCloseTo(ref.areaMm2, 6);
  }, 60_000);

  it('an ellipse ROI on the same slice has area π·a·b in mm², text keeps its text; list in order, delete, refusals', async () => {
    const ell = await create({
      kind: 'ellipse',
      pointsIjk: [
        [200, 200, 5],
        [240, 220, 5],
      ],
    });
    const px = grid.spacingMm[0] * grid.spacingMm[1];
    expect(ell.result.roi!.areaMm2).toBeCloseTo(Math.PI * 20 * 10 * px, 6);
    const note = await create({ kind: 'text', pointsIjk: [[100, 100, 5]], text: 'cyst?' });
    const listed = await result<MethodOutput<'annotations.list'>>(call('annotations.list', { seriesId: 1 }));
    expect(listed.annotations.map((a) => a.kind)).toEqual(['ruler', 'angle', 'freehand', 'ellipse', 'text']);
    expect(listed.annotations.at(-1)!.text).toBe('cyst?');
    expect(await result(call('annotations.delete', { annotationId: note.annotationId }))).toEqual({ deleted: true });
    expect(await result(call('annotations.delete', { annotationId: note.annotationId }))).toEqual({ deleted: false });
    const after = await result<MethodOutput<'annotations.list'>>(call('annotations.list', { seriesId: 1 }));
    expect(after.annotations).toHaveLength(4);
    const bad = await call('annotations.create', {
      seriesId: 1,
      kind: 'angle',
      pointsIjk: [
        [1, 1, 1],
        [2, 2, 2],
      ],
    });
    expect(bad.ok ? '' : bad.error.code).toBe('INVALID_INPUT');
    const off = await call('annotations.create', {
      seriesId: 1,
      kind: 'freehand',
      pointsIjk: [
        [1, 1, 1],
        [5, 2, 2],
        [3, 8, 3],
      ],
    });
    expect(off.ok ? '' : off.error.code).toBe('INVALID_INPUT');
    const outside = await call('annotations.create', {
      seriesId: 1,
      kind: 'ruler',
      pointsIjk: [
        [0, 0, 0],
        [9999, 0, 0],
      ],
    });
    expect(outside.ok ? '' : outside.error.code).toBe('INVALID_INPUT');
    const unknown = await call('annotations.list', { seriesId: 99 });
    expect(unknown.ok ? '' : unknown.error.code).toBe('NOT_FOUND');
  });
});
