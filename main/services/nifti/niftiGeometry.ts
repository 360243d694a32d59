// The geometry report across a NIfTI round trip: what the header cannot vouch for (coded findings), and medseg's
// own record of a series' status, written three ways (JSON sidecar, header extension, descrip) and read back.
import { readFile, writeFile } from 'node:fs/promises';
import { geometryReport, type GeometryFinding, type GeometryFindingCode, type GeometryReport, type GeometryStatus } from '../../../shared/domain/geometry.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';

/** NIFTI_ECODE_COMMENT: free text; ours is JSON with a `medsegGeometry` key. */
export const GEOMETRY_EXTENSION_CODE = 6;
/** Key of the report in the sidecar (BIDS sidecars use PascalCase keys) and in the extension. */
const SIDECAR_KEY = 'MedsegGeometry';

export interface RecordedGeometry {
  report: GeometryReport;
  source: 'sidecar' | 'extension' | 'descrip' | 'intent_name' | null;
}

/** BIDS convention: the sidecar has the image's name with .json instead of .nii / .nii.gz. */
export function sidecarPathOf(niftiPath: string): string {
  return niftiPath.replace(/\.nii(\.gz)?$/i, '') + '.json';
}

/** What a header alone says about its geometry (no medseg record involved). */
export function headerFindings(h: {
  affineSource: 'sform' | 'qform' | 'pixdim';
  spatialUnitsCode: number;
  /** Axes (1..3) whose pixdim was 0 or invalid and assumed 1, where pixdim was used. */
  assumedAxes: number[];
  dim: number[];
  timeUnitsCode: number;
}): GeometryReport {
  const findings: GeometryFinding[] = [];
  if (h.affineSource === 'pixdim') {
    findings.push({
      code: 'NIFTI_NO_ORIENTATION',
      severity: 'warning',
      message:
        'qform_code and sform_code are 0: the file records no orientation; axes are taken as they are stored, so left/right and the position in the patient are guesses.',
    });
  }
  if (h.assumedAxes.length > 0) {
    findings.push({
      code: 'NIFTI_SPACING_ASSUMED',
      severity: 'unsafe',
      message: `pixdim[${h.assumedAxes.join(',')}] is 0 or invalid: a voxel size of 1 was assumed, so distances and volumes are not known.`,
      details: { axes: h.assumedAxes.length },
    });
  }
  if (h.spatialUnitsCode === 0) {
    findings.push({
      code: 'NIFTI_UNITS_UNKNOWN',
      severity: 'warning',
      message: 'xyzt_units gives no spatial unit: millimetres assumed (as nibabel and ITK do).',
    });
  } else if (h.spatialUnitsCode === 1 || h.spatialUnitsCode === 3) {
    const unit = h.spatialUnitsCode === 1 ? 'metres' : 'micrometres';
    findings.push({
      code: 'NIFTI_UNITS_CONVERTED',
      severity: 'warning',
      message: `The file's spatial unit is ${unit}; spacing and positions were converted to mm.`,
      details: { mmPerUnit: h.spatialUnitsCode === 1 ? 1000 : 0.001 },
    });
  } else if (h.spatialUnitsCode !== 2) {
    findings.push({
      code: 'NIFTI_UNITS_INVALID',
      severity: 'unsafe',
      message: `xyzt_units holds spatial unit code ${h.spatialUnitsCode}, which NIfTI-1 does not define: distances are not known.`,
    });
  }
  const extra = h.dim.slice(4, h.dim[0] + 1).reduce((n, d) => n * Math.max(1, d), 1);
  if (h.dim[0] >= 4 && extra > 1) {
    findings.push({
      code: 'NIFTI_EXTRA_DIMENSIONS',
      severity: 'warning',
      message: `A ${h.dim[0]}D file (${h.dim.slice(1, h.dim[0] + 1).join('x')}): only the first of ${extra} 3D volumes is read.`,
      details: { count: extra },
    });
  }
  // A 3D file whose only unit is a time unit: the third axis is most likely time (a 2D cine stored as x, y, t).
  if (h.dim[0] === 3 && h.timeUnitsCode !== 0 && h.spatialUnitsCode === 0 && h.dim[3] > 1) {
    findings.push({
      code: 'NIFTI_TIME_AXIS',
      severity: 'unsafe',
      message: 'xyzt_units gives a time unit and no spatial unit for a 3D grid: its third axis is taken to be time, so there is no slice spacing in mm.',
    });
  }
  return geometryReport(findings);
}

/** One line for descrip (79 characters): `medseg geometry=STATUS CODE:u CODE:w …`, codes dropped from the end when long. */
export function recordedStatusText(report: GeometryReport, max: number): string {
  let text = `medseg geometry=${report.status}`;
  for (const f of report.findings) {
    const token = ` ${f.code}:${f.severity === 'unsafe' ? 'u' : 'w'}`;
    if (text.length + token.length > max) break;
    text += token;
  }
  return text;
}

function recordJson(report: GeometryReport, dims: Vec3): Record<string, unknown> {
  return { status: report.status, findings: report.findings, dims: [...dims], writer: 'medseg' };
}

/** A NIfTI-1 extension (esize, ecode, JSON padded with NULs to a multiple of 16). */
export function encodeGeometryExtension(report: GeometryReport, dims: Vec3): Buffer {
  const json = Buffer.from(JSON.stringify({ [SIDECAR_KEY]: recordJson(report, dims) }), 'utf8');
  const esize = Math.ceil((json.length + 8) / 16) * 16;
  const out = Buffer.alloc(esize);
  out.writeInt32LE(esize, 0);
  out.writeInt32LE(GEOMETRY_EXTENSION_CODE, 4);
  json.copy(out, 8);
  return out;
}

export async function writeGeometrySidecar(sidecarPath: string, report: GeometryReport, dims: Vec3): Promise<void> {
  // Keep what another tool put in an existing sidecar (e.g. dcm2niix's BIDS fields); replace only our key.
  let existing: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(await readFile(sidecarPath, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) existing = parsed as Record<string, unknown>;
  } catch {
    // none, or not JSON: written afresh
  }
  try {
    await writeFile(sidecarPath, JSON.stringify({ ...existing, [SIDECAR_KEY]: recordJson(report, dims) }, null, 2) + '\n');
  } catch (err) {
    throw new AppError('IO_ERROR', `${sidecarPath}: cannot write the JSON sidecar (${(err as Error).message}).`);
  }
}

const STATUSES = new Set<GeometryStatus>(['ok', 'warning', 'unsafe']);

/** A recorded report from JSON, or null when it is not one (wrong shape, other dims: a stale or foreign record). */
function reportFromJson(value: unknown, dims: Vec3): GeometryReport | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as { status?: unknown; findings?: unknown; dims?: unknown };
  if (typeof v.status !== 'string' || !STATUSES.has(v.status as GeometryStatus) || !Array.isArray(v.findings)) return null;
  if (Array.isArray(v.dims) && (v.dims.length !== 3 || v.dims.some((d, k) => d !== dims[k]))) return null;
  const findings: GeometryFinding[] = [];
  for (const f of v.findings as unknown[]) {
    const x = f as Partial<GeometryFinding>;
    if (!x || typeof x.code !== 'string' || (x.severity !== 'warning' && x.severity !== 'unsafe')) continue;
    findings.push({
      code: x.code as GeometryFindingCode,
      severity: x.severity,
      message: typeof x.message === 'string' ? x.message : 'recorded by medseg',
      ...(x.details ? { details: x.details } : {}),
    });
  }
  return withRecordedStatus(v.status as GeometryStatus, findings);
}

/** The recorded status holds even when its findings were lost (a RECORDED_STATUS finding keeps it). */
function withRecordedStatus(status: GeometryStatus, findings: GeometryFinding[]): GeometryReport {
  const computed = geometryReport(findings).status;
  if (status !== 'ok' && computed !== status && !(status === 'warning' && computed === 'unsafe')) {
    findings = [...findings, { code: 'RECORDED_STATUS', severity: status, message: `medseg recorded the geometry as ${status} when it wrote this file.` }];
  }
  return geometryReport(findings);
}

function fromDescrip(text: string): GeometryReport | null {
  const m = /medseg geometry=(ok|warning|unsafe)((?:\s+[A-Z_]+:[uw])*)/.exec(text);
  if (!m) return null;
  const findings: GeometryFinding[] = [];
  for (const t of m[2].trim().split(/\s+/).filter(Boolean)) {
    const [code, sev] = t.split(':');
    findings.push({
      code: code as GeometryFindingCode,
      severity: sev === 'u' ? 'unsafe' : 'warning',
      message: 'recorded by medseg in the NIfTI header (the detail was in its JSON sidecar)',
    });
  }
  return withRecordedStatus(m[1] as GeometryStatus, findings);
}

/**
 * medseg's record of the geometry, if any: the sidecar first (when it holds our key for these dims), else the
 * header extension, else descrip, else intent_name. A header record worse than the sidecar's wins (a file
 * is never made safer by a sidecar that may be stale).
 */
export async function readRecordedGeometry(
  sidecarPath: string,
  header: { extensions: { code: number; text: string }[]; description: string; intentName: string },
  dims: Vec3,
): Promise<RecordedGeometry | null> {
  let fromHeader: RecordedGeometry | null = null;
  for (const e of header.extensions) {
    if (e.code !== GEOMETRY_EXTENSION_CODE) continue;
    try {
      const r = reportFromJson((JSON.parse(e.text) as Record<string, unknown>)[SIDECAR_KEY], dims);
      if (r) fromHeader = { report: r, source: 'extension' };
    } catch {
      // a comment extension of another tool
    }
  }
  if (!fromHeader) {
    const d = fromDescrip(header.description);
    if (d) fromHeader = { report: d, source: 'descrip' };
  }
  if (!fromHeader) {
    const m = /^medseg:(ok|warning|unsafe)$/.exec(header.intentName);
    if (m) fromHeader = { report: withRecordedStatus(m[1] as GeometryStatus, []), source: 'intent_name' };
  }
  let sidecar: GeometryReport | null = null;
  try {
    const parsed = JSON.parse(await readFile(sidecarPath, 'utf8')) as Record<string, unknown>;
    sidecar = reportFromJson(parsed?.[SIDECAR_KEY], dims);
  } catch {
    // no sidecar, or not ours
  }
  if (sidecar) {
    const rank = { ok: 0, warning: 1, unsafe: 2 } as const;
    if (fromHeader && rank[fromHeader.report.status] > rank[sidecar.status]) return fromHeader;
    return { report: sidecar, source: 'sidecar' };
  }
  return fromHeader;
}
