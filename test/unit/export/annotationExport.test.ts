// Annotations in exports, on the real CT: a ruler, an angle, a freehand and an ellipse ROI and a text made through the
// method table are exported with a stored segmentation of the series (export.segmentation and `medseg export --db`)
// as OUT.annotations.csv, the JSON document's `annotations` and the PDF's annotation table; every number read back
// equals the one annotations.list gives. The rows re-apply the geometry gate (unsafe: no mm, no LPS) and flag figures
// of another computation version as not current.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../main/adapters/dispatch.js';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { saveSegmentation } from '../../../main/db/segmentations.js';
import { createServiceTable } from '../../../main/methods/index.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import { annotationCells } from '../../../main/services/export/pdfReport.js';
import { annotationRows, type AnnotationRecord } from '../../../shared/domain/reading/annotationRows.js';
import { ANNOTATION_COMPUTATION_VERSION } from '../../../shared/domain/reading/annotations.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { ijkToLps, lpsToIjk, type Vec3 } from '../../../shared/domain/volume.js';
import type { MethodOutput, RpcReply } from '../../../shared/ipc/contract.js';
import { loadExportContext } from '../../../main/services/export/context.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { dciodvfy } from '../../helpers/exportChecks.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const CT = path.join(DATA_DIR, 'totalsegmentator_example/example_ct_dicom');
type Annotation = MethodOutput<'annotations.create'>;
interface SrCoordinates {
  graphicType: string;
  sopInstanceUid: string;
  lps: number[][];
}
interface SrAnnotationGroup {
  trackingId: string;
  nums: Record<string, { value: number; unit: string }>;
  region?: SrCoordinates;
  inferredFrom?: SrCoordinates;
}

let dir: string;
let dbPath: string;
let db: Database;
let table: ServiceTable;
let segmentationId: number;
let listed: Annotation[];
const call = (method: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, method, input, { emit: () => undefined });
const result = async <T>(r: Promise<RpcReply<unknown>>): Promise<T> => {
  const reply = await r;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
};

/** A CSV with quoted cells ("" inside) split into records of named cells. */
function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let n = 0; n < text.length; n++) {
    const c = text[n]!;
    if (quoted) {
      if (c === '"' && text[n + 1] === '"') ((cell += '"'), n++);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(cell), (cell = ''));
    else if (c === '\r' && text[n + 1] === '\n') {
      row.push(cell);
      records.push(row);
      row = [];
      cell = '';
      n++;
    } else cell += c;
  }
  const [header, ...rest] = records;
  return rest.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

const cellNumber = (s: string | undefined): number | null => (s === undefined || s === '' ? null : Number(s));
const points = (s: string): Vec3[] => s.split(';').map((p) => p.split(' ').map(Number) as Vec3);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'medseg-annexp-'));
  dbPath = path.join(dir, 'cat.db');
  db = openDatabase(dbPath);
  table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
  const imp = await result<{ seriesIds: number[] }>(call('import.paths', { paths: [CT] }));
  const seriesId = imp.seriesIds[0]!;
  const grid = await result<MethodOutput<'volume.info'>>(call('volume.info', { seriesId }));
  // a stored segmentation of the series: a 40×40×6 box labelled liver
  const [nx, ny, nz] = grid.dims;
  const labels = new Uint8Array(nx * ny * nz);
  for (let k = 7; k < 13; k++) for (let j = 230; j < 270; j++) for (let i = 230; i < 270; i++) labels[i + nx * (j + ny * k)] = 1;
  segmentationId = saveSegmentation(db, {
    seriesId,
    source: 'import',
    name: 'box',
    labelMap: { ...grid, labels, table: [{ value: 1, name: 'liver', colorRgb: [200, 100, 90], kind: 'organ' }] },
  });
  // the annotations, drawn through the API: a ruler 60 mm along L, a right angle, two ROIs and a text
  const a = lpsToIjk(grid, ijkToLps(grid, [200, 250, 10]));
  const aLps = ijkToLps(grid, a);
  const b = lpsToIjk(grid, [aLps[0] + 60, aLps[1], aLps[2]]);
  const c = lpsToIjk(grid, [aLps[0], aLps[1] + 40, aLps[2]]);
  const inputs = [
    { kind: 'ruler', pointsIjk: [a, b] },
    { kind: 'angle', pointsIjk: [b, a, c] },
    {
      kind: 'freehand',
      pointsIjk: [
        [230.3, 240.2, 10],
        [290.7, 250.4, 10],
        [300.1, 300.9, 10],
        [255.5, 320.3, 10],
        [220.2, 290.6, 10],
      ],
    },
    {
      kind: 'ellipse',
      pointsIjk: [
        [200, 200, 5],
        [240, 220, 5],
      ],
    },
    { kind: 'text', pointsIjk: [[100, 100, 5]], text: 'cyst?, "check" =follow-up' },
  ];
  for (const input of inputs) await result(call('annotations.create', { seriesId, ...input }));
  listed = (await result<MethodOutput<'annotations.list'>>(call('annotations.list', { seriesId }))).annotations;
  expect(listed.map((x) => x.kind)).toEqual(['ruler', 'angle', 'freehand', 'ellipse', 'text']);
  expect(listed[0]!.result.lengthMm).toBeCloseTo(60, 6);
}, 180_000);

afterAll(() => db?.close());

describe('annotations in exports', () => {
  it('CSV: OUT.annotations.csv beside the measurements, one row per annotation with the API figures, LPS points, version and geometry status', async () => {
    const r = await result<MethodOutput<'export.segmentation'>>(call('export.segmentation', { segmentationId, format: 'csv', outDir: dir, fileName: 'm.csv' }));
    expect(r.files).toEqual([path.join(dir, 'm.csv'), path.join(dir, 'm.annotations.csv')]);
    const rows = parseCsv(readFileSync(r.files[1]!, 'utf8'));
    expect(rows).toHaveLength(listed.length);
    const measured = parseCsv(readFileSync(r.files[0]!, 'utf8'));
    for (const [n, a] of listed.entries()) {
      const row = rows[n]!;
      expect(Number(row.annotationId)).toBe(a.annotationId);
      expect(row.kind).toBe(a.kind);
      // joins the measurement rows by series
      expect(row.seriesInstanceUid).toBe(measured[0]!.seriesInstanceUid);
      expect(row.seriesInstanceUid).not.toBe('');
      expect(cellNumber(row.lengthMm)).toBe(a.result.lengthMm ?? null);
      expect(cellNumber(row.angleDeg)).toBe(a.result.angleDeg ?? null);
      expect(cellNumber(row.roiMean)).toBe(a.result.roi?.mean ?? null);
      expect(cellNumber(row.roiSd)).toBe(a.result.roi?.sd ?? null);
      expect(cellNumber(row.roiMin)).toBe(a.result.roi?.min ?? null);
      expect(cellNumber(row.roiMax)).toBe(a.result.roi?.max ?? null);
      expect(cellNumber(row.roiAreaMm2)).toBe(a.result.roi?.areaMm2 ?? null);
      expect(cellNumber(row.roiVoxelCount)).toBe(a.result.roi?.voxelCount ?? null);
      expect(row.roiUnit).toBe(a.result.roi ? 'HU' : '');
      expect(points(row.pointsLps!)).toEqual(a.pointsLps);
      expect(points(row.pointsIjk!)).toEqual(a.pointsIjk);
      expect(row.computationVersion).toBe(ANNOTATION_COMPUTATION_VERSION);
      expect(row.current).toBe('true');
      expect(row.geometryStatus).toBe(measured[0]!.geometryStatus);
      expect(row.text).toBe(a.text ?? '');
    }
    expect(rows[0]!.geometryStatus).not.toBe('unsafe');
    // the figures are real: a 60 mm ruler, a right angle, a ROI of many voxels in HU
    expect(Number(rows[0]!.lengthMm)).toBeCloseTo(60, 6);
    expect(Number(rows[1]!.angleDeg)).toBeCloseTo(90, 6);
    expect(Number(rows[2]!.roiVoxelCount)).toBeGreaterThan(1000);
  }, 60_000);

  it('JSON: an annotations section with the API figures; the CLI with --db writes the same annotations file', async () => {
    const r = await result<MethodOutput<'export.segmentation'>>(
      call('export.segmentation', { segmentationId, format: 'json', outDir: dir, fileName: 'm.json' }),
    );
    const doc = JSON.parse(readFileSync(r.files[0]!, 'utf8')) as { annotations: Record<string, unknown>[]; rows: unknown[] };
    expect(doc.rows.length).toBeGreaterThan(0);
    expect(doc.annotations).toHaveLength(listed.length);
    for (const [n, a] of listed.entries()) {
      const row = doc.annotations[n]!;
      expect(row).toMatchObject({ annotationId: a.annotationId, kind: a.kind, pointsLps: a.pointsLps, pointsIjk: a.pointsIjk, current: true });
      expect(row.lengthMm).toBe(a.result.lengthMm ?? null);
      expect(row.angleDeg).toBe(a.result.angleDeg ?? null);
      expect(row.roiMean).toBe(a.result.roi?.mean ?? null);
      expect(row.roiAreaMm2).toBe(a.result.roi?.areaMm2 ?? null);
    }
    const out = path.join(dir, 'cli.csv');
    db.close(); // the CLI opens the catalog itself
    try {
      const run = await runCliCaptured(['export', '--db', dbPath, '--labels', String(segmentationId), '--format', 'csv', '-o', out, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect((JSON.parse(run.stdout) as { files: string[] }).files).toEqual([out, path.join(dir, 'cli.annotations.csv')]);
      const cli = parseCsv(readFileSync(path.join(dir, 'cli.annotations.csv'), 'utf8'));
      const api = parseCsv(readFileSync(path.join(dir, 'm.annotations.csv'), 'utf8'));
      expect(cli).toEqual(api);
    } finally {
      db = openDatabase(dbPath);
      table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
    }
  }, 60_000);

  it('PDF: an annotations table whose figures (read back by pdftotext) are the API figures', async () => {
    const r = await result<MethodOutput<'export.segmentation'>>(call('export.segmentation', { segmentationId, format: 'pdf', outDir: dir, fileName: 'm.pdf' }));
    const text = execFileSync('pdftotext', ['-layout', r.files[0]!, '-']).toString();
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Annotations');
    const [ruler, angle, freehand, ellipse, note] = listed;
    expect(flat).toContain(`#${ruler!.annotationId} ruler`);
    expect(flat).toContain(`${ruler!.result.lengthMm!.toFixed(2)} mm`);
    expect(flat).toContain(`${angle!.result.angleDeg!.toFixed(2)} deg`);
    for (const roi of [freehand!, ellipse!]) {
      const s = roi.result.roi!;
      expect(flat).toContain(`mean ${s.mean!.toFixed(1)} +/- ${s.sd!.toFixed(1)} HU`);
      expect(flat).toContain(`area ${s.areaMm2!.toFixed(1)} mm2, ${s.voxelCount} voxels`);
      expect(flat).toContain(`slice ${s.sliceIndex} (axis k)`);
    }
    expect(flat).toContain('cyst?, "check" =follow-up');
    expect(flat).toContain(`#${note!.annotationId} text`);
  }, 60_000);

  it('SR: rulers, angles and ROIs as measurement groups valid for dciodvfy; figures and image points (pydicom) equal the API', async () => {
    const r = await result<MethodOutput<'export.segmentation'>>(
      call('export.segmentation', { segmentationId, format: 'sr', outDir: dir, fileName: 'm.sr.dcm' }),
    );
    expect(r.files).toEqual([path.join(dir, 'm.sr.dcm'), path.join(dir, 'm.seg.dcm')]);
    expect(dciodvfy(r.files[0]!).errors).toEqual([]);
    // the text is left out, and said so
    expect(r.notes.join(' ')).toMatch(/Annotations not in the SR .*#\d+ text/);
    // the referenced images by the UIDs the export wrote (this CT's files carry none: medseg derives them)
    const ctx = await loadExportContext({ labels: segmentationId, db });
    const uidToFile = path.join(dir, 'uids.json');
    writeFileSync(uidToFile, JSON.stringify(Object.fromEntries(ctx.source.instances.map((i) => [i.sopInstanceUid, i.path]))));
    const groups = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(REPO_DIR, 'test/reference/srAnnotations.py'), r.files[0]!, uidToFile], { encoding: 'utf8' }),
    ) as SrAnnotationGroup[];
    const [ruler, angle, freehand, ellipse] = listed;
    expect(groups.map((g) => g.trackingId)).toEqual([ruler, angle, freehand, ellipse].map((a) => `annotation #${a!.annotationId} ${a!.kind}`));
    const same = (a: number | undefined, b: number, what: string) =>
      expect(Math.abs(a! - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
    const samePoints = (got: number[][], want: Vec3[], what: string) => {
      expect(got.length, what).toBe(want.length);
      got.forEach((p, n) => p.forEach((c, a) => expect(Math.abs(c - want[n]![a]!), `${what} point ${n}`).toBeLessThanOrEqual(1e-3)));
    };
    const [gRuler, gAngle, gFree, gEllipse] = groups;
    same(gRuler!.nums['410668003']?.value, ruler!.result.lengthMm!, 'ruler length');
    expect(gRuler!.nums['410668003']!.unit).toBe('mm');
    expect(gRuler!.inferredFrom!.graphicType).toBe('POLYLINE');
    samePoints(gRuler!.inferredFrom!.lps, ruler!.pointsLps, 'ruler');
    same(gAngle!.nums['1483009']?.value, angle!.result.angleDeg!, 'angle');
    expect(gAngle!.nums['1483009']!.unit).toBe('deg');
    samePoints(gAngle!.inferredFrom!.lps, angle!.pointsLps, 'angle');
    for (const [g, a] of [
      [gFree!, freehand!],
      [gEllipse!, ellipse!],
    ] as const) {
      const roi = a.result.roi!;
      same(g.nums['112031/373098007']?.value, roi.mean!, 'ROI mean');
      same(g.nums['112031/386136009']?.value, roi.sd!, 'ROI SD');
      same(g.nums['112031/255605001']?.value, roi.min!, 'ROI min');
      same(g.nums['112031/56851009']?.value, roi.max!, 'ROI max');
      same(g.nums['42798000']?.value, roi.areaMm2!, 'ROI area');
      expect(g.nums['42798000']!.unit).toBe('mm2');
      expect(g.nums['112031/373098007']!.unit).toBe("[hnsf'U]");
    }
    // the freehand outline closed on its first point; the ellipse's axes end on its box's sides, centred in it
    expect(gFree!.region!.graphicType).toBe('POLYLINE');
    samePoints(gFree!.region!.lps, [...freehand!.pointsLps, freehand!.pointsLps[0]!], 'freehand');
    expect(gEllipse!.region!.graphicType).toBe('ELLIPSE');
    const centre = ellipse!.pointsLps[0]!.map((c, a) => (c + ellipse!.pointsLps[1]![a]!) / 2) as Vec3;
    const mid = gEllipse!.region!.lps.slice(0, 2);
    samePoints([mid[0]!.map((c, a) => (c + mid[1]![a]!) / 2)], [centre], 'ellipse centre');
    // major axis first: the box is 40 × 20 voxels of equal in-plane spacing
    const len = (p: number[], q: number[]) => Math.hypot(...p.map((c, a) => c - q[a]!));
    expect(len(mid[0]!, mid[1]!)).toBeGreaterThan(len(gEllipse!.region!.lps[2]!, gEllipse!.region!.lps[3]!));
  }, 120_000);

  it('rows re-apply the gate: on unsafe geometry no mm, degrees, mm² or LPS (a note says why); another computation version is not current', () => {
    const records = listed as AnnotationRecord[];
    const unsafe: GeometryReport = { status: 'unsafe', findings: [{ code: 'MISSING_SLICE', severity: 'unsafe', message: 'a slice is missing' }] };
    const rows = annotationRows(records, unsafe);
    for (const row of rows) {
      expect(row.lengthMm).toBeNull();
      expect(row.angleDeg).toBeNull();
      expect(row.roiAreaMm2).toBeNull();
      expect(row.pointsLps).toBeNull();
      expect(row.geometryStatus).toBe('unsafe');
      expect(row.note).toMatch(/unsafe/);
    }
    // HU statistics are not mm: they stay
    expect(rows[2]!.roiMean).toBe(listed[2]!.result.roi!.mean);
    expect(annotationCells(rows[0]!)[3]).toBe('- mm');
    const old = annotationRows([{ ...records[0]!, computationVersion: 'annotation-0' }], { status: 'ok', findings: [] });
    expect(old[0]!.current).toBe(false);
    expect(old[0]!.note).toMatch(/not current/);
    expect(annotationCells(old[0]!)[4]).toBe('annotation-0 (not current)');
  });
});
