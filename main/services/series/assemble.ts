// Series assembly from DICOM headers only (no pixel decoding): group frames into stacks of parallel slices,
// sort them along the slice normal, plan the voxel grid and report geometry findings. `medseg info` uses it.
import { geometryReport, type GeometryFinding, type GeometryReport } from '../../../shared/domain/geometry.js';
import {
  DUPLICATE_TOLERANCE_MM,
  geometryReportToJson,
  planSliceGrid,
  sliceNormal,
  type SeriesInfoJson,
  type SliceGridPlan,
} from '../../../shared/domain/series.js';
import { identityDirection, dot, normalize, type Mat3, type Vec3, type VolumeGeometry } from '../../../shared/domain/volume.js';
import type { DicomFrameInfo, DicomInstance } from '../dicom/types.js';

export interface FrameRef {
  instance: DicomInstance;
  frameIndex: number;
}

/** One stack of a series: its grid (LPS, mm), the frames in slice order and how to build its voxels. */
export interface AssembledStack extends VolumeGeometry {
  seriesInstanceUid: string;
  /** Unique and stable for the same set of files: the series UID, plus `#n` when the series holds several stacks. */
  stackKey: string;
  modality: string;
  description: string;
  /** Source frames sorted along the slice normal (duplicates removed); plan.planes index into this list. */
  frames: FrameRef[];
  /** Number of distinct files the frames come from. */
  files: number;
  transferSyntaxes: string[];
  geometry: GeometryReport;
  /** How buildVolume turns the sorted frames into voxels on the planned grid. */
  plan: SliceGridPlan;
}

const SEGMENTATION_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';

/** Direction cosines closer than this (per component) are the same orientation (about 0.06°). */
const ORIENTATION_TOLERANCE = 1e-3;

interface FrameEntry {
  instance: DicomInstance;
  info: DicomFrameInfo;
}

/** A plan that copies source slice k to volume slice k (no shift, no interpolation). */
function copyPlanes(n: number): Omit<SliceGridPlan, 'geometry'> {
  return {
    planes: Array.from({ length: n }, (_, s) => ({ s0: s, s1: s, w: 0 })),
    colShift: new Array<number>(n).fill(0),
    rowShift: new Array<number>(n).fill(0),
    interpolated: false,
    findings: [],
  };
}

/** Groups image frames into stacks; instances without pixel data (SR, RTPLAN …) are ignored. Pure. */
export function assembleSeries(instances: DicomInstance[]): AssembledStack[] {
  const bySeries = new Map<string, FrameEntry[]>();
  const seenFrames = new Set<string>();
  for (const instance of instances) {
    if (!instance.hasPixelData || instance.rows <= 0 || instance.columns <= 0) continue;
    // a DICOM Segmentation is a label map of another series (imported as such), never an image series
    if (instance.sopClassUid === SEGMENTATION_SOP_CLASS) continue;
    for (const info of instance.frames) {
      // The same SOP instance found twice (copied file) contributes its frames once.
      const id = `${instance.sopInstanceUid || instance.path}\u0000${info.frameIndex}`;
      if (seenFrames.has(id)) continue;
      seenFrames.add(id);
      const list = bySeries.get(instance.seriesInstanceUid) ?? [];
      list.push({ instance, info });
      bySeries.set(instance.seriesInstanceUid, list);
    }
  }
  const stacks: AssembledStack[] = [];
  for (const [seriesUid, entries] of bySeries) {
    const groups = splitIntoStacks(entries);
    // Time points and acquisitions are expected splits; a change of orientation or image size is not.
    const orientationsDiffer = new Set(groups.map((g) => `${g.orientationKey}|${g.entries[0].instance.columns}x${g.entries[0].instance.rows}`)).size > 1;
    groups.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    groups.forEach((g, index) => {
      // A series without a UID (anonymised files) still needs a non-empty key.
      const base = seriesUid || 'no-series-uid';
      const key = groups.length === 1 ? base : `${base}#${index + 1}`;
      stacks.push(buildStack(seriesUid, key, g.entries, orientationsDiffer));
    });
  }
  stacks.sort(
    (a, b) =>
      (a.frames[0].instance.seriesNumber ?? Infinity) - (b.frames[0].instance.seriesNumber ?? Infinity) ||
      (a.stackKey < b.stackKey ? -1 : a.stackKey > b.stackKey ? 1 : 0),
  );
  return stacks;
}

interface StackGroup {
  entries: FrameEntry[];
  orientationKey: string;
  sortKey: string;
}

/** Splits one series by frame of reference, size, pixel spacing, orientation (with tolerance) and enhanced stack id. */
function splitIntoStacks(entries: FrameEntry[]): StackGroup[] {
  const orientations: Array<[Vec3, Vec3]> = [];
  const orientationIndex = (info: DicomFrameInfo): string => {
    const iop = info.imageOrientationPatient;
    if (!iop || !hasUsablePosition(info)) return 'none';
    let idx = orientations.findIndex((o) => maxAbsDiff(o, iop) <= ORIENTATION_TOLERANCE);
    if (idx < 0) {
      orientations.push(iop);
      idx = orientations.length - 1;
    }
    return `o${idx}`;
  };
  const groups = new Map<string, StackGroup>();
  for (const e of entries) {
    const orientationKey = orientationIndex(e.info);
    const ps = usablePixelSpacing(e.info);
    const parts = [
      e.instance.frameOfReferenceUid ?? '',
      `${e.instance.columns}x${e.instance.rows}`,
      ps ? `${ps[0].toFixed(4)}x${ps[1].toFixed(4)}` : 'nops',
      orientationKey,
      e.info.stackId ?? '',
      e.instance.samplesPerPixel,
    ];
    const key = parts.join('|');
    const g = groups.get(key) ?? { entries: [], orientationKey, sortKey: key };
    g.entries.push(e);
    groups.set(key, g);
  }
  return [...groups.values()].flatMap(splitRepeatedPositions);
}

/**
 * Repeated positions usually mean several time points or acquisitions of the same slices (dynamic or enhanced
 * series). When one index separates them into complete, duplicate-free stacks, split; otherwise keep one stack
 * and let buildStack report DUPLICATE_POSITION.
 */
function splitRepeatedPositions(group: StackGroup): StackGroup[] {
  if (group.orientationKey === 'none' || !hasDuplicatePositions(group.entries)) return [group];
  // Frames with a different pixel value transformation are different kinds of image at the same positions
  // (the Philips enhanced field map holds magnitude and Hz frames with no other index telling them apart).
  const transforms = [...new Set(group.entries.map((e) => `${e.info.rescaleSlope}/${e.info.rescaleIntercept}`))];
  const splitters: Array<[string, (e: FrameEntry) => number | undefined]> = [
    ['t', (e) => e.info.temporalPositionIndex],
    ['a', (e) => e.instance.acquisitionNumber],
    ['r', (e) => transforms.indexOf(`${e.info.rescaleSlope}/${e.info.rescaleIntercept}`)],
  ];
  for (const [tag, indexOf] of splitters) {
    if (group.entries.some((e) => indexOf(e) === undefined)) continue;
    const parts = new Map<number, FrameEntry[]>();
    for (const e of group.entries) {
      const value = indexOf(e) as number;
      const list = parts.get(value);
      if (list) list.push(e);
      else parts.set(value, [e]);
    }
    if (parts.size < 2) continue;
    const lists = [...parts.entries()].sort((a, b) => a[0] - b[0]);
    if (lists.every(([, l]) => !hasDuplicatePositions(l))) {
      return lists.map(([value, l]) => ({
        entries: l,
        orientationKey: group.orientationKey,
        sortKey: `${group.sortKey}|${tag}${String(value).padStart(8, '0')}`,
      }));
    }
  }
  return [group];
}

function hasDuplicatePositions(entries: FrameEntry[]): boolean {
  const first = entries[0].info.imageOrientationPatient;
  if (!first) return false;
  const normal = sliceNormal(first[0], first[1]);
  const d = entries.map((e) => (e.info.imagePositionPatient ? dot(e.info.imagePositionPatient, normal) : NaN)).sort((a, b) => a - b);
  return d.some((v, i) => i > 0 && v - d[i - 1] <= DUPLICATE_TOLERANCE_MM);
}

/**
 * Position and orientation are usable when finite and the two direction cosines are real, non-parallel
 * vectors; anything else (damaged headers) is treated as missing rather than crashing the assembly.
 */
function hasUsablePosition(info: DicomFrameInfo): boolean {
  const ipp = info.imagePositionPatient;
  const iop = info.imageOrientationPatient;
  if (!ipp || !iop || ![...ipp, ...iop[0], ...iop[1]].every(Number.isFinite)) return false;
  const [r, c] = iop;
  const n = Math.hypot(r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]);
  return Math.hypot(...r) > 0.5 && Math.hypot(...c) > 0.5 && n > 0.5;
}

function usablePixelSpacing(info: DicomFrameInfo): [number, number] | undefined {
  const ps = info.pixelSpacingMm;
  return ps && ps[0] > 0 && ps[1] > 0 && Number.isFinite(ps[0]) && Number.isFinite(ps[1]) ? ps : undefined;
}

function maxAbsDiff(a: [Vec3, Vec3], b: [Vec3, Vec3]): number {
  let m = 0;
  for (let r = 0; r < 2; r++) for (let c = 0; c < 3; c++) m = Math.max(m, Math.abs(a[r][c] - b[r][c]));
  return m;
}

/** Tie-break for frames at the same position, or for frames without a position: instance number, then frame, then path. */
function byInstanceOrder(a: FrameEntry, b: FrameEntry): number {
  return (
    (a.instance.instanceNumber ?? Infinity) - (b.instance.instanceNumber ?? Infinity) ||
    a.info.frameIndex - b.info.frameIndex ||
    (a.instance.path < b.instance.path ? -1 : a.instance.path > b.instance.path ? 1 : 0)
  );
}

function buildStack(seriesUid: string, stackKey: string, entries: FrameEntry[], orientationsDiffer: boolean): AssembledStack {
  const first = entries[0];
  const findings: GeometryFinding[] = [];
  if (orientationsDiffer) {
    findings.push({
      code: 'INCONSISTENT_ORIENTATION',
      severity: 'warning',
      message: 'The series holds images in more than one orientation or size; it was split into separate stacks.',
    });
  }
  // A spacing of zero or garbage counts as none.
  const sources = new Set(entries.map((e) => (usablePixelSpacing(e.info) ? e.info.pixelSpacingSource : 'none')));
  if (sources.has('ImagerPixelSpacing') || sources.has('none')) {
    findings.push({
      code: 'UNCALIBRATED_SPACING',
      severity: 'unsafe',
      message: sources.has('none')
        ? 'No pixel spacing in the images: distances are in pixels (1 mm assumed), not millimetres.'
        : 'Only Imager Pixel Spacing (detector plane) is given: distances in the patient are not calibrated.',
    });
  }
  const ps: [number, number] = usablePixelSpacing(first.info) ?? [1, 1];
  const iop = first.info.imageOrientationPatient;
  let sorted: FrameEntry[];
  let plan: SliceGridPlan;
  if (orientationKeyMissing(entries) || !iop) {
    sorted = [...entries].sort(byInstanceOrder);
    findings.push({
      code: 'MISSING_POSITION',
      severity: 'unsafe',
      message: 'Image Position/Orientation (Patient) is missing: slices are ordered by instance number and shown as 2D images only; no mm or mL.',
    });
    plan = {
      geometry: {
        dims: [first.instance.columns, first.instance.rows, sorted.length],
        spacingMm: [ps[0], ps[1], 1],
        originLps: [0, 0, 0],
        directionLps: identityDirection(),
      },
      ...copyPlanes(sorted.length),
    };
  } else {
    const normal = sliceNormal(iop[0], iop[1]);
    const withD = entries.map((e) => ({ e, d: dot(e.info.imagePositionPatient as Vec3, normal) }));
    // Sort along the normal only; instance order breaks exact ties so the choice among duplicates is stable.
    withD.sort((a, b) => a.d - b.d || byInstanceOrder(a.e, b.e));
    sorted = [];
    let duplicates = 0;
    let lastD = -Infinity;
    for (const { e, d } of withD) {
      if (d - lastD <= DUPLICATE_TOLERANCE_MM) {
        duplicates++;
        continue;
      }
      sorted.push(e);
      lastD = d;
    }
    if (sorted.length === 1 && duplicates > 0) {
      // Every image at one position: a time series (cine) of one slice. Keep all images in acquisition order
      // so they can be viewed; the k axis is then time, not space.
      sorted = withD.map((x) => x.e).sort(byInstanceOrder);
      findings.push({
        code: 'DUPLICATE_POSITION',
        severity: 'unsafe',
        message: `All ${sorted.length} images are at one position (a time series of one slice?): shown in acquisition order; k is not a distance, so measurements are refused.`,
        details: { count: duplicates },
      });
      const thickness = first.instance.sliceThicknessMm && first.instance.sliceThicknessMm > 0 ? first.instance.sliceThicknessMm : 1;
      plan = {
        geometry: {
          dims: [first.instance.columns, first.instance.rows, sorted.length],
          spacingMm: [ps[0], ps[1], thickness],
          originLps: [...(sorted[0].info.imagePositionPatient as Vec3)],
          directionLps: [normalize(iop[0]), normalize(iop[1]), normal],
        },
        ...copyPlanes(sorted.length),
      };
    } else {
      if (duplicates > 0) {
        findings.push({
          code: 'DUPLICATE_POSITION',
          severity: 'unsafe',
          message:
            `${duplicates} image(s) share a slice position with another image and were left out (the one with the lowest instance number is kept); ` +
            'the series may mix acquisitions, so measurements are refused.',
          details: { count: duplicates },
        });
      }
      plan = planSliceGrid({
        positionsLps: sorted.map((e) => e.info.imagePositionPatient as Vec3),
        rowDirLps: iop[0],
        colDirLps: iop[1],
        pixelSpacingMm: ps,
        columns: first.instance.columns,
        rows: first.instance.rows,
        sliceThicknessMm: first.instance.sliceThicknessMm,
      });
      findings.push(...plan.findings);
    }
  }
  const files = new Set(sorted.map((e) => `${e.instance.path}\u0000${e.instance.archiveMember ?? ''}`)).size;
  const g = plan.geometry;
  return {
    seriesInstanceUid: seriesUid,
    stackKey,
    modality: first.instance.modality,
    description: first.instance.seriesDescription ?? '',
    frames: sorted.map((e) => ({ instance: e.instance, frameIndex: e.info.frameIndex })),
    files,
    dims: g.dims,
    spacingMm: g.spacingMm,
    originLps: g.originLps,
    directionLps: g.directionLps,
    transferSyntaxes: [...new Set(sorted.map((e) => e.instance.transferSyntaxUid))].sort(),
    geometry: geometryReport(findings),
    plan,
  };
}

function orientationKeyMissing(entries: FrameEntry[]): boolean {
  return entries.some((e) => !hasUsablePosition(e.info));
}

/** The per-series object of the `medseg info --json` contract. */
export function stackToInfoJson(stack: AssembledStack): SeriesInfoJson {
  return {
    seriesInstanceUid: stack.seriesInstanceUid,
    modality: stack.modality,
    description: stack.description,
    files: stack.files,
    dims: [...stack.dims],
    spacingMm: [...stack.spacingMm],
    originLps: [...stack.originLps],
    directionLps: [[...stack.directionLps[0]], [...stack.directionLps[1]], [...stack.directionLps[2]]],
    transferSyntaxes: [...stack.transferSyntaxes],
    geometry: geometryReportToJson(stack.geometry),
  };
}
