// The chart report as PDF (pdf-lib): patient/study header (or a pseudonym), "not for clinical use", provenance (model
// name, version, sha256; software version; date), geometry status, the measurement table with volume bands, and key
// images: an axial slice through each lesion with its overlay and RECIST axes, rendered here from the volume; and the
// series' stored annotations (ruler, angle, ROI, text) as a table.
import { PDFDocument, rgb, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import { defaultWindow } from '../../../shared/domain/windowing.js';
import type { MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import { renderKeyImage } from '../../../shared/domain/report/keyImage.js';
import { lpsToIjk, type Vec3 } from '../../../shared/domain/volume.js';
import { annotationSummary, type AnnotationRow } from '../../../shared/domain/reading/annotationRows.js';
import { writeFileAtomic } from './atomicWrite.js';
import type { ExportContext } from './context.js';
import { softwareVersion } from './dicomTags.js';
import type { ExportFormatHandler } from './formats.js';
import { encodePngRgba } from './png.js';
import { pseudonymOf, reportRows, type ReportRow } from './tabular.js';

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 40;
const MAX_KEY_IMAGES = 8;
const RED = rgb(0.75, 0, 0);
const LONG_AXIS_RGB: [number, number, number] = [255, 255, 0];
const SHORT_AXIS_RGB: [number, number, number] = [0, 255, 255];

/** Helvetica (WinAnsi) cannot show every character a DICOM name may hold: others become '?'. */
function latin(text: string): string {
  return text.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
}

export function fmt(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
}

/** The table's cells for one row, as printed (the test reads these back with pdftotext). */
export function tableCells(r: ReportRow): string[] {
  return [
    r.instanceId === 0 ? `${r.labelValue} ${r.labelName}` : `   lesion #${r.instanceId}`,
    r.kind,
    `${fmt(r.volumeMl, 2)} (${fmt(r.volumeMlLower, 2)}-${fmt(r.volumeMlUpper, 2)})`,
    r.recistLongMm === null ? '-' : `${fmt(r.recistLongMm, 1)} / ${fmt(r.recistShortMm, 1)}`,
    r.mean === null ? '-' : `${fmt(r.mean, 1)} +/- ${fmt(r.sd, 1)}`,
  ];
}

class Writer {
  page: PDFPage;
  y: number;
  constructor(
    readonly doc: PDFDocument,
    readonly font: PDFFont,
    readonly bold: PDFFont,
  ) {
    this.page = doc.addPage(A4);
    this.y = A4[1] - MARGIN;
  }
  ensure(height: number): void {
    if (this.y - height >= MARGIN + 14) return;
    this.page = this.doc.addPage(A4);
    this.y = A4[1] - MARGIN;
    this.footer();
  }
  footer(): void {
    this.page.drawText('NOT FOR CLINICAL USE - research software, results unverified', { x: MARGIN, y: 22, size: 8, font: this.bold, color: RED });
  }
  line(text: string, opts: { size?: number; bold?: boolean; color?: ReturnType<typeof rgb>; indent?: number } = {}): void {
    const size = opts.size ?? 9;
    const font = opts.bold ? this.bold : this.font;
    const maxWidth = A4[0] - 2 * MARGIN - (opts.indent ?? 0);
    for (const part of wrap(latin(text), font, size, maxWidth)) {
      this.ensure(size + 3);
      this.y -= size + 3;
      this.page.drawText(part, { x: MARGIN + (opts.indent ?? 0), y: this.y, size, font, color: opts.color });
    }
  }
  gap(h = 6): void {
    this.y -= h;
  }
}

function wrap(text: string, font: PDFFont, size: number, maxWidth: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const next = current === '' ? word : `${current} ${word}`;
    if (font.widthOfTextAtSize(next, size) <= maxWidth || current === '') current = next;
    else {
      out.push(current);
      current = word;
    }
  }
  out.push(current);
  return out;
}

const COLUMNS = [
  { title: 'Label', x: 0 },
  { title: 'Kind', x: 150 },
  { title: 'Volume mL (band)', x: 200 },
  { title: 'RECIST long / short mm', x: 320 },
  { title: 'Mean +/- SD', x: 430 },
];

function table(w: Writer, rows: ReportRow[], unit: string): void {
  const size = 8;
  const header = () => {
    w.ensure(14);
    w.y -= 12;
    for (const c of COLUMNS) w.page.drawText(c.title === 'Mean +/- SD' ? `Mean +/- SD (${unit})` : c.title, { x: MARGIN + c.x, y: w.y, size, font: w.bold });
  };
  header();
  for (const r of rows) {
    if (w.y - 11 < MARGIN + 14) {
      w.ensure(1000);
      header();
    }
    w.y -= 11;
    tableCells(r).forEach((cell, n) => w.page.drawText(latin(cell), { x: MARGIN + COLUMNS[n].x, y: w.y, size, font: w.font }));
  }
}

/** The cells of one annotation row as printed (the test reads them back with pdftotext). */
export function annotationCells(r: AnnotationRow): string[] {
  const where = r.roiSliceIndex !== null ? `slice ${r.roiSliceIndex} (axis ${'ijk'[r.roiSliceAxis ?? 2]})` : `k ${fmt(r.pointsIjk[0]?.[2], 1)}`;
  return [`#${r.annotationId}`, r.kind, where, annotationSummary(r), r.current ? r.computationVersion : `${r.computationVersion} (not current)`];
}

const ANNOTATION_COLUMNS_PDF = [
  { title: 'Id', x: 0 },
  { title: 'Kind', x: 30 },
  { title: 'Where', x: 80 },
  { title: 'Figures', x: 160 },
  { title: 'Version', x: 445 },
];

/** The annotations table: one line per annotation, a note line under it when a figure is refused or not current. */
function annotationTable(w: Writer, rows: AnnotationRow[]): void {
  const size = 8;
  const header = () => {
    w.ensure(14);
    w.y -= 12;
    for (const c of ANNOTATION_COLUMNS_PDF) w.page.drawText(c.title, { x: MARGIN + c.x, y: w.y, size, font: w.bold });
  };
  header();
  for (const r of rows) {
    if (w.y - 33 < MARGIN + 14) {
      w.ensure(1000);
      header();
    }
    // a long cell (ROI figures, text) wraps within its column; the row is as tall as its tallest cell
    const cells = annotationCells(r).map((cell, n) =>
      wrap(latin(cell), w.font, size, (ANNOTATION_COLUMNS_PDF[n + 1]?.x ?? A4[0] - 2 * MARGIN) - ANNOTATION_COLUMNS_PDF[n].x - 4),
    );
    const lines = Math.max(...cells.map((c) => c.length));
    w.ensure(11 * lines);
    w.y -= 11;
    cells.forEach((parts, n) =>
      parts.forEach((part, m) => w.page.drawText(part, { x: MARGIN + ANNOTATION_COLUMNS_PDF[n].x, y: w.y - 10 * m, size, font: w.font })),
    );
    w.y -= 10 * (lines - 1);
    if (r.note) w.line(r.note, { size: 7, indent: 30 });
  }
}

async function keyImages(w: Writer, ctx: ExportContext, result: MeasurementResult): Promise<number> {
  const { volume } = ctx.source;
  const { labels } = ctx.labelMap;
  const voi = defaultWindow(ctx.source.modality, volume.voxels);
  const axis = result.geometry.axialSliceAxis as 0 | 1 | 2;
  const [ua, va] = ([0, 1, 2] as const).filter((a) => a !== axis);
  const lesions = result.labels.flatMap((l) => l.instances.map((inst) => ({ label: l, inst })));
  const toIjk = (p: Vec3): Vec3 => lpsToIjk(volume, p);
  let drawn = 0;
  const widthPt = (A4[0] - 2 * MARGIN - 20) / 2;
  let column = 0;
  for (const { label, inst } of lesions.slice(0, MAX_KEY_IMAGES)) {
    const colour = ctx.labels.find((l) => l.value === label.value)?.colorRgb ?? [255, 0, 0];
    const image = renderKeyImage({
      volume,
      labels,
      sliceAxis: axis,
      slice: inst.recistSlice,
      voi,
      overlay: new Map([[label.value, colour as [number, number, number]]]),
      segments: [
        { fromIjk: toIjk(inst.recistLongEndpointsLps[0]), toIjk: toIjk(inst.recistLongEndpointsLps[1]), rgb: LONG_AXIS_RGB },
        { fromIjk: toIjk(inst.recistShortEndpointsLps[0]), toIjk: toIjk(inst.recistShortEndpointsLps[1]), rgb: SHORT_AXIS_RGB },
      ],
    });
    const png = await w.doc.embedPng(encodePngRgba(image.width, image.height, image.rgba));
    // Square pixels on paper: the image's height follows the two axes' spacing.
    const heightPt = (widthPt * image.height * volume.spacingMm[va]) / (image.width * volume.spacingMm[ua]);
    if (column === 0) w.ensure(heightPt + 30);
    const x = MARGIN + column * (widthPt + 20);
    const top = w.y;
    w.page.drawImage(png, { x, y: top - heightPt, width: widthPt, height: heightPt });
    const caption = `${label.value} ${label.name} #${inst.id}: slice ${inst.recistSlice}, RECIST ${fmt(inst.recistLongMm, 1)} x ${fmt(inst.recistShortMm, 1)} mm (long yellow, short cyan)`;
    let cy = top - heightPt - 9;
    for (const part of wrap(latin(caption), w.font, 7, widthPt)) {
      w.page.drawText(part, { x, y: cy, size: 7, font: w.font });
      cy -= 8;
    }
    drawn++;
    if (column === 1 || drawn === Math.min(lesions.length, MAX_KEY_IMAGES)) w.y = Math.min(w.y, cy) - 8;
    column = 1 - column;
  }
  if (lesions.length > MAX_KEY_IMAGES) w.line(`${lesions.length - MAX_KEY_IMAGES} more lesions are listed in the table without a key image.`);
  return drawn;
}

export const pdfReportFormat: ExportFormatHandler = {
  summary: 'PDF report: header (or --pseudonym), key images with overlay and RECIST axes, measurement table with bands, provenance',
  extension: '.pdf',
  async write(ctx, req) {
    const pseudonym = pseudonymOf(req);
    const result = await ctx.measurements();
    const rows = reportRows(ctx, result, pseudonym);
    const doc = await PDFDocument.create();
    doc.setTitle('medseg segmentation report (not for clinical use)');
    doc.setProducer(`medseg ${softwareVersion()}`);
    doc.setCreationDate(new Date());
    const w = new Writer(doc, await doc.embedFont(StandardFonts.Helvetica), await doc.embedFont(StandardFonts.HelveticaBold));
    w.footer();
    w.line('medseg segmentation report', { size: 16, bold: true });
    w.line('NOT FOR CLINICAL USE', { size: 12, bold: true, color: RED });
    w.gap();
    const s = ctx.source.study;
    if (pseudonym !== undefined) w.line(`Patient: ${pseudonym} (pseudonym)`, { bold: true });
    else
      w.line(
        `Patient: ${s?.patientName || '(no name)'}   ID: ${s?.patientId || '(none)'}   Born: ${s?.patientBirthDate || '-'}   Sex: ${s?.patientSex || '-'}`,
        { bold: true },
      );
    w.line(
      `Study date: ${s?.studyDate || '-'}   Description: ${s?.studyDescription || '-'}   Accession: ${pseudonym !== undefined ? '-' : s?.accessionNumber || '-'}`,
    );
    w.line(`Series: ${s?.seriesInstanceUid || ctx.source.label}   Modality: ${ctx.source.modality || '-'}   ${s?.seriesDescription || ''}`);
    w.gap();
    const p = ctx.provenance;
    w.line(
      `Segmentation: ${p.name}   source: ${p.source}   ${p.segmentationId !== undefined ? `id ${p.segmentationId}, version ${p.labelMapVersion ?? 0}` : 'from file'}`,
    );
    w.line(p.model ? `Model: ${p.model.id}   version ${p.model.version}   sha256 ${p.model.sha256}` : 'Model: none (not a model output)');
    w.line(`Software: medseg ${softwareVersion()}   measurement ${result.computationVersion}   Report date: ${new Date().toISOString()}`);
    w.line(`Geometry: ${result.geometry.status.toUpperCase()}   spacing ${result.geometry.spacingMm.map((v) => fmt(v, 3)).join(' x ')} mm`, {
      bold: true,
      color: result.geometry.status === 'ok' ? undefined : RED,
    });
    for (const f of result.geometry.findings) w.line(`- ${f.code}: ${f.message}`, { indent: 10 });
    for (const wn of [...result.geometry.warnings, ...ctx.placementWarnings]) w.line(`- ${wn.code}: ${wn.message}`, { indent: 10 });
    w.gap();
    w.line('Measurements', { size: 12, bold: true });
    w.line(`Volume band (partial volume): between the mask's interior and the mask dilated by one voxel. Intensities in ${ctx.source.intensityUnit}.`, {
      size: 7,
    });
    table(w, rows, ctx.source.intensityUnit);
    w.gap(12);
    const annotations = ctx.annotations?.rows ?? [];
    if (annotations.length > 0) {
      w.line('Annotations', { size: 12, bold: true });
      w.line(
        `Reading annotations of this series (${annotations.length}): ruler length, angle, ROI statistics in ${annotations.find((a) => a.roiUnit)?.roiUnit ?? ctx.source.intensityUnit} and drawn area; geometry ${annotations[0].geometryStatus}.`,
        { size: 7 },
      );
      annotationTable(w, annotations);
      w.gap(12);
    }
    w.line('Key images', { size: 12, bold: true });
    const images = await keyImages(w, ctx, result);
    if (images === 0) w.line('No lesion-kind label with a measurable instance: no key image.');
    const bytes = await writeFileAtomic(req.outPath, await doc.save());
    return {
      format: 'pdf',
      files: [req.outPath],
      bytes,
      notes: [],
      details: { rows: rows.length, annotations: annotations.length, keyImages: images, pages: doc.getPageCount() },
    };
  },
};
