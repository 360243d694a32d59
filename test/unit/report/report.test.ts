// PDF report and CSV/JSON rows of a real export (the sample CT + its TotalSegmentator map, liver as a lesion-kind
// label): pdftotext carries every figure of the table, pdftoppm renders the pages; rows carry identity and provenance.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportContext, type ExportContext } from '../../../main/services/export/context.js';
import { exportFormat } from '../../../main/services/export/formats.js';
import { tableCells } from '../../../main/services/export/pdfReport.js';
import { IDENTITY_COLUMNS, reportRows, type ReportRow } from '../../../main/services/export/tabular.js';
import { MEASUREMENT_COLUMNS } from '../../../shared/domain/measure/export.js';
import type { MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { DATA_DIR } from '../../helpers/paths.js';

const TS = path.join(DATA_DIR, 'totalsegmentator_example');
const CT = path.join(TS, 'example_ct_dicom');
const LABELS = path.join(TS, 'example_seg_dicom.nii.gz');
let dir: string;
let ctx: ExportContext;
let result: MeasurementResult;
let rows: ReportRow[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'medseg-report-'));
  ctx = await loadExportContext({ sourcePath: CT, labels: LABELS, lesionValues: new Set([5]) });
  result = await ctx.measurements();
  rows = reportRows(ctx, result);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PDF report', () => {
  it('carries the header, provenance, geometry status and every figure of the table; renders with pdftoppm', async () => {
    const out = path.join(dir, 'report.pdf');
    const r = await (await exportFormat('pdf')).write(ctx, { outPath: out });
    const lesions = result.labels.flatMap((l) => l.instances);
    expect(lesions.length).toBeGreaterThan(0);
    expect(r.details).toMatchObject({ rows: rows.length, keyImages: lesions.length });
    const text = execFileSync('pdftotext', ['-layout', out, '-']).toString();
    expect(text).toContain('NOT FOR CLINICAL USE');
    expect(text).toMatch(new RegExp(`Geometry: ${result.geometry.status.toUpperCase()}`));
    expect(text).toMatch(/Software: medseg \d+\.\d+\.\d+/);
    expect(text).toContain('Model: none');
    expect(text).toContain(ctx.source.study!.seriesInstanceUid);
    const flat = text.replace(/\s+/g, ' ');
    for (const row of rows) for (const cell of tableCells(row).slice(2)) expect(flat, `${row.labelName} ${cell}`).toContain(cell.replace(/\s+/g, ' '));
    // The liver lesion's RECIST figures in its key image caption, as measured.
    expect(flat).toContain(`RECIST ${lesions[0].recistLongMm.toFixed(1)} x ${lesions[0].recistShortMm.toFixed(1)} mm`);
    execFileSync('pdftoppm', ['-r', '40', '-png', out, path.join(dir, 'page')]);
    const pages = readdirSync(dir).filter((f) => f.startsWith('page') && f.endsWith('.png'));
    expect(pages.length).toBe(Number(r.details!.pages));
    // Written atomically: no temp file left beside it.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 120_000);

  it('with a pseudonym the identity is not printed', async () => {
    const out = path.join(dir, 'pseudo.pdf');
    await (await exportFormat('pdf')).write(ctx, { outPath: out, options: { pseudonym: 'SUBJ-017' } });
    const text = execFileSync('pdftotext', [out, '-']).toString();
    expect(text).toContain('Patient: SUBJ-017 (pseudonym)');
    expect(text).not.toContain('Born:');
  }, 60_000);
});

describe('CSV and JSON rows', () => {
  it('CSV: identity + provenance columns, one row per label and per lesion, values as measured, lesion rows with HU statistics', async () => {
    const out = path.join(dir, 'rows.csv');
    await (await exportFormat('csv')).write(ctx, { outPath: out, options: { pseudonym: 'SUBJ-017' } });
    const lines = readFileSync(out, 'utf8').trimEnd().split('\r\n');
    const header = lines[0].split(',');
    expect(header).toEqual([...IDENTITY_COLUMNS, ...MEASUREMENT_COLUMNS, 'intensityUnit']);
    const expected = result.labels.length + result.labels.reduce((n, l) => n + l.instances.length, 0);
    expect(lines.length - 1).toBe(expected);
    const col = (name: string) => header.indexOf(name);
    for (const [n, line] of lines.slice(1).entries()) {
      const cells = line.split(',');
      expect(cells[col('patientId')]).toBe('SUBJ-017');
      expect(cells[col('seriesInstanceUid')]).toBe(ctx.source.study!.seriesInstanceUid);
      expect(cells[col('studyDate')]).toBe(ctx.source.study!.studyDate);
      expect(cells[col('segmentationSource')]).toBe('file');
      expect(cells[col('intensityUnit')]).toBe('HU');
      expect(Number(cells[col('volumeMl')])).toBe(rows[n].volumeMl);
    }
    const lesionRows = lines.slice(1).filter((l) => l.split(',')[col('instanceId')] !== '0');
    expect(lesionRows.length).toBe(result.labels.find((l) => l.value === 5)!.instances.length);
    for (const l of lesionRows) {
      const cells = l.split(',');
      expect(Number.isFinite(Number(cells[col('mean')])) && cells[col('mean')] !== '').toBe(true);
      expect(Number(cells[col('recistLongMm')])).toBeGreaterThan(0);
      // An instance holding all of its label's voxels has the label's statistics (computed by the measure service).
      const label = result.labels.find((x) => x.value === Number(cells[col('labelValue')]))!;
      if (Number(cells[col('voxels')]) === label.voxels) {
        expect(Number(cells[col('mean')])).toBeCloseTo(label.stats!.mean, 6);
        expect(Number(cells[col('p95')])).toBeCloseTo(label.stats!.p95, 6);
      }
    }
  }, 60_000);

  it('JSON: the same rows, with geometry, provenance and software version; the CLI records the export in the audit log', async () => {
    const out = path.join(dir, 'rows.json');
    const db = path.join(dir, 'catalog.db');
    const cli = await runCliCaptured(['export', CT, '--labels', LABELS, '--lesion-labels', '5', '--format', 'json', '-o', out, '--db', db]);
    expect(cli.code, cli.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { software: { version: string }; geometry: { status: string }; rows: ReportRow[] };
    expect(doc.software.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.geometry.status).toBe(result.geometry.status);
    expect(doc.rows.map((r) => [r.labelValue, r.instanceId, r.volumeMl, r.mean])).toEqual(rows.map((r) => [r.labelValue, r.instanceId, r.volumeMl, r.mean]));
    const audit = await runCliCaptured(['audit', 'list', '--db', db, '--json']);
    expect((JSON.parse(audit.stdout) as { entries: { action: string; subject: string }[] }).entries.map((e) => [e.action, e.subject])).toEqual([
      ['export', out],
    ]);
  }, 120_000);
});
