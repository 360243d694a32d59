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
  | 'INCONSISTENT_ORIENTATION'; // frames disagree on orientation (stack was split)

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
  const status: GeometryStatus = findings.some((f) => f.severity === 'unsafe')
    ? 'unsafe'
    : findings.length > 0
      ? 'warning'
      : 'ok';
  return { status, findings };
}

/** Millimetre and millilitre measurements are allowed only on `ok` or `warning` geometry. */
export function allowsPhysicalMeasurement(report: GeometryReport): boolean {
  return report.status !== 'unsafe';
}
