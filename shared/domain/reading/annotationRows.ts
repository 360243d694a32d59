// Stored reading annotations as export rows (CSV/JSON/PDF/SR): one flat row per annotation with its figures, points,
// computation version and geometry status. mm, mm², degrees and LPS positions pass the geometry gate again at export
// time (null and a note on an unsafe grid), and a figure computed by an older computation version is not current.
import { physicalUnitsAllowed, unsafeReasons } from '../geometryGate.js';
import type { GeometryReport, GeometryStatus } from '../geometry.js';
import type { Vec3 } from '../volume.js';
import { ANNOTATION_COMPUTATION_VERSION, type RoiStats } from './annotations.js';

/** What an export needs of a stored annotation (the shape of `annotations.list`'s items). */
export interface AnnotationRecord {
  annotationId: number;
  kind: 'ruler' | 'angle' | 'ellipse' | 'freehand' | 'text';
  pointsIjk: Vec3[];
  pointsLps: Vec3[];
  text: string | null;
  computationVersion: string;
  createdAt: string;
  result: {
    lengthMm?: number | null;
    angleDeg?: number | null;
    /** The ROI statistics as computed, with the intensity unit they are in. */
    roi?: RoiStats & { unit: string };
    note?: string;
  };
}

export interface AnnotationRow {
  annotationId: number;
  kind: AnnotationRecord['kind'];
  text: string | null;
  lengthMm: number | null;
  angleDeg: number | null;
  roiSliceAxis: number | null;
  roiSliceIndex: number | null;
  roiVoxelCount: number | null;
  roiMean: number | null;
  roiSd: number | null;
  roiMin: number | null;
  roiMax: number | null;
  /** The intensity unit of mean/SD/min/max ('HU' for CT); null for a ruler, angle or text. */
  roiUnit: string | null;
  roiAreaMm2: number | null;
  /** Continuous voxel coordinates as picked (i, j, k) of the series grid. */
  pointsIjk: Vec3[];
  /** Patient positions (LPS mm); null where the gate refuses mm. */
  pointsLps: Vec3[] | null;
  computationVersion: string;
  /** False when the figures were computed by another computation version than this software's. */
  current: boolean;
  geometryStatus: GeometryStatus;
  createdAt: string;
  /** Why a figure is missing or not current; '' when there is nothing to say. */
  note: string;
}

/** The CSV column order (points as "x y z" triples joined by ';'). */
export const ANNOTATION_COLUMNS: readonly (keyof AnnotationRow)[] = [
  'annotationId',
  'kind',
  'text',
  'lengthMm',
  'angleDeg',
  'roiSliceAxis',
  'roiSliceIndex',
  'roiVoxelCount',
  'roiMean',
  'roiSd',
  'roiMin',
  'roiMax',
  'roiUnit',
  'roiAreaMm2',
  'pointsIjk',
  'pointsLps',
  'computationVersion',
  'current',
  'geometryStatus',
  'createdAt',
  'note',
];

/** Rows of a series' annotations, gated by the series' geometry report (the one their figures were computed on). */
export function annotationRows(annotations: readonly AnnotationRecord[], report: GeometryReport): AnnotationRow[] {
  const allowed = physicalUnitsAllowed(report);
  return annotations.map((a) => {
    const roi = a.result.roi;
    const notes: string[] = [];
    if (a.result.note) notes.push(a.result.note);
    if (!allowed && a.kind !== 'text' && !a.result.note) notes.push(`No mm or degrees: the volume geometry is unsafe (${unsafeReasons(report)}).`);
    if (!allowed && a.kind === 'text') notes.push('No LPS position: the volume geometry is unsafe.');
    const current = a.computationVersion === ANNOTATION_COMPUTATION_VERSION;
    if (!current)
      notes.push(`Computed by ${a.computationVersion}; this software computes ${ANNOTATION_COMPUTATION_VERSION}: not current, recreate it to update.`);
    const mm = <T>(v: T | null | undefined): T | null => (allowed && v !== undefined ? v : null);
    return {
      annotationId: a.annotationId,
      kind: a.kind,
      text: a.text,
      lengthMm: mm(a.result.lengthMm),
      angleDeg: mm(a.result.angleDeg),
      roiSliceAxis: roi?.sliceAxis ?? null,
      roiSliceIndex: roi?.sliceIndex ?? null,
      roiVoxelCount: roi?.voxelCount ?? null,
      roiMean: roi?.mean ?? null,
      roiSd: roi?.sd ?? null,
      roiMin: roi?.min ?? null,
      roiMax: roi?.max ?? null,
      roiUnit: roi?.unit ?? null,
      roiAreaMm2: mm(roi?.areaMm2),
      pointsIjk: a.pointsIjk,
      pointsLps: allowed ? a.pointsLps : null,
      computationVersion: a.computationVersion,
      current,
      geometryStatus: report.status,
      createdAt: a.createdAt,
      note: notes.join(' '),
    };
  });
}

/** One readable summary of a row's figures, as the PDF report prints it ('-' for a refused figure). */
export function annotationSummary(r: AnnotationRow): string {
  const f = (v: number | null, digits: number): string => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits));
  switch (r.kind) {
    case 'ruler':
      return `${f(r.lengthMm, 2)} mm`;
    case 'angle':
      return `${f(r.angleDeg, 2)} deg`;
    case 'ellipse':
    case 'freehand':
      return `mean ${f(r.roiMean, 1)} +/- ${f(r.roiSd, 1)} ${r.roiUnit ?? ''}, min ${f(r.roiMin, 0)}, max ${f(r.roiMax, 0)}, area ${f(r.roiAreaMm2, 1)} mm2, ${r.roiVoxelCount ?? 0} voxels`;
    case 'text':
      return r.text ?? '';
  }
}
