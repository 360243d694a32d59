// The geometry report every volume carries: later features refuse mm and mL when the status is `unsafe`.

export type GeometryStatus = 'ok' | 'warning' | 'unsafe';

export type GeometryFindingCode =
  | 'GANTRY_TILT' // slices sheared along the normal; `angleDeg` given; resampled or kept sheared (see message)
  | 'NON_UNIFORM_SPACING' // slice steps differ; `minMm`/`maxMm` given
  | 'MISSING_SLICE' // a gap of about a whole multiple of the usual step
  | 'DUPLICATE_POSITION' // two or more slices at one position
  | 'MISSING_POSITION' // no ImagePositionPatient/ImageOrientationPatient: 2D only, no mm or mL
  | 'UNCALIBRATED_SPACING' // only ImagerPixelSpacing (detector plane), or no pixel spacing at all
  | 'SINGLE_SLICE' // one slice: no slice spacing known
  | 'NON_ORTHOGONAL' // row/column directions not perpendicular
  | 'INCONSISTENT_ORIENTATION' // frames disagree on orientation (stack was split)
  // Read from a NIfTI header (main/services/nifti): what the file itself cannot vouch for.
  | 'NIFTI_NO_ORIENTATION' // qform_code = sform_code = 0: axes from pixdim alone, left/right guessed
  | 'NIFTI_SPACING_ASSUMED' // a voxel size of 0 or invalid in the header: 1 was assumed, so mm and mL are not known
  | 'NIFTI_UNITS_UNKNOWN' // xyzt_units says "unknown": millimetres assumed, as nibabel and ITK do
  | 'NIFTI_UNITS_CONVERTED' // metres or micrometres in the header, converted to mm
  | 'NIFTI_UNITS_INVALID' // a spatial unit code NIfTI-1 does not define
  | 'NIFTI_EXTRA_DIMENSIONS' // a 4D (or higher) file: only the first 3D volume is read; `count` volumes in all
  | 'NIFTI_TIME_AXIS' // the third axis of the grid is time, not space: no slice spacing in mm
  | 'RECORDED_STATUS'; // a file written by medseg recorded a status whose findings did not survive (header text only)

export interface GeometryFinding {
  code: GeometryFindingCode;
  severity: Exclude<GeometryStatus, 'ok'>;
  message: string;
  /** Optional numbers a UI or a test may show: angleDeg, minMm, maxMm, count … */
  details?: Record<string, number>;
}

export interface GeometryReport {
  status: GeometryStatus;
  findings: GeometryFinding[];
}

export function geometryReport(findings: GeometryFinding[]): GeometryReport {
  const status: GeometryStatus = findings.some((f) => f.severity === 'unsafe') ? 'unsafe' : findings.length > 0 ? 'warning' : 'ok';
  return { status, findings };
}

/** Millimetre and millilitre measurements are allowed only on `ok` or `warning` geometry (see geometryGate.ts). */
export function allowsPhysicalMeasurement(report: GeometryReport): boolean {
  return report.status !== 'unsafe';
}

const RANK: Record<GeometryStatus, number> = { ok: 0, warning: 1, unsafe: 2 };

/** The worse of two statuses. */
export function worseStatus(a: GeometryStatus, b: GeometryStatus): GeometryStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * Reports merged (findings of both, one per code+message); the status is never better than either's, so a
 * status recorded without findings still counts.
 */
export function mergeGeometryReports(...reports: GeometryReport[]): GeometryReport {
  const findings: GeometryFinding[] = [];
  const seen = new Set<string>();
  let status: GeometryStatus = 'ok';
  for (const r of reports) {
    status = worseStatus(status, r.status);
    for (const f of r.findings) {
      const key = `${f.code}\u0000${f.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push(f);
    }
  }
  return { status: worseStatus(status, geometryReport(findings).status), findings };
}
