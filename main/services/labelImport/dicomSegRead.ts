// Reads a DICOM Segmentation (binary or fractional, any transfer syntax the decoder knows) into coded segments and
// positioned planes; fractional frames are thresholded at half their maximum (and a note says so).
import { labelKindOf, type LabelInfo } from '../../../shared/domain/labelTable.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { decodeAllFrames } from '../dicom/decode.js';
import { readDicomHeader } from '../dicom/parse.js';
import { dcmjs, decodePart10, type NaturalDataset } from '../export/dicomTags.js';
import type { ImportedPlane, ImportedSegment } from './placeSegments.js';

export const SEG_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.66.4';
const LESION_CATEGORY = '49755003';

export interface ReadDicomSeg {
  sopInstanceUid: string;
  seriesDescription: string;
  referencedSeriesUids: string[];
  referencedInstanceUids: string[];
  frameOfReferenceUid: string;
  segmentationType: 'BINARY' | 'FRACTIONAL';
  segments: ImportedSegment[];
  planes: ImportedPlane[];
  notes: string[];
}

type Item = NaturalDataset;

function first(x: unknown): Item | undefined {
  if (Array.isArray(x)) return x[0] as Item | undefined;
  return x && typeof x === 'object' ? (x as Item) : undefined;
}

function list(x: unknown): Item[] {
  if (Array.isArray(x)) return x as Item[];
  return x && typeof x === 'object' ? [x as Item] : [];
}

function numbers(x: unknown): number[] {
  const arr = Array.isArray(x) ? x : x === undefined || x === null ? [] : [x];
  return arr.map((v) => Number(v));
}

function str(x: unknown): string {
  if (Array.isArray(x)) return x.length > 0 ? str(x[0]) : '';
  if (x && typeof x === 'object' && 'Alphabetic' in x) return String((x as { Alphabetic: unknown }).Alphabetic ?? '');
  return x === undefined || x === null ? '' : String(x).trim();
}

function vec3(x: unknown, what: string): Vec3 {
  const v = numbers(x);
  if (v.length !== 3 || !v.every(Number.isFinite)) throw new AppError('INVALID_INPUT', `DICOM SEG: ${what} is missing or malformed.`);
  return v as Vec3;
}

/** A functional group's value: the frame's own, else the shared one. */
function group(perFrame: Item | undefined, shared: Item | undefined, name: string): Item | undefined {
  return first(perFrame?.[name]) ?? first(shared?.[name]);
}

export async function readDicomSeg(bytes: Uint8Array, path: string): Promise<ReadDicomSeg> {
  const inst = readDicomHeader(bytes, path);
  if (inst.sopClassUid !== SEG_SOP_CLASS_UID) throw new AppError('INVALID_INPUT', `${path}: not a DICOM Segmentation (SOP class ${inst.sopClassUid}).`);
  const ds = decodePart10(bytes);
  const notes: string[] = [];
  const type = str(ds.SegmentationType) === 'FRACTIONAL' ? 'FRACTIONAL' : 'BINARY';
  const maxFractional = Number(ds.MaximumFractionalValue ?? 255) || 255;
  if (type === 'FRACTIONAL') {
    notes.push(
      `Fractional SEG (${str(ds.SegmentationFractionalType) || 'PROBABILITY'}, maximum ${maxFractional}): thresholded at 50% (value >= ${Math.ceil(maxFractional / 2)}) into a binary label map.`,
    );
  }
  const { Colors } = dcmjs();
  const segments: ImportedSegment[] = list(ds.SegmentSequence).map((s) => {
    const number = Number(s.SegmentNumber);
    const name = str(s.SegmentLabel) || `segment ${number}`;
    const category = str(first(s.SegmentedPropertyCategoryCodeSequence)?.CodeValue);
    const lab = numbers(s.RecommendedDisplayCIELabValue);
    const colorRgb =
      lab.length === 3 ? (Colors.dicomlab2RGB(lab).map((c) => Math.max(0, Math.min(255, Math.round(c * 255)))) as [number, number, number]) : undefined;
    const info: LabelInfo = {
      value: number,
      name,
      colorRgb: colorRgb ?? [255, 255, 0],
      kind: category === LESION_CATEGORY ? 'lesion' : labelKindOf(number, { name }),
    };
    return { ...info, key: number };
  });
  if (segments.length === 0) throw new AppError('INVALID_INPUT', `${path}: the SEG has no SegmentSequence.`);
  if (segments.some((s) => !(Number.isInteger(s.value) && s.value > 0 && s.value <= 65535))) {
    throw new AppError('INVALID_INPUT', `${path}: segment numbers must be 1..65535.`);
  }

  const frames = await decodeAllFrames(bytes, inst);
  const shared = first(ds.SharedFunctionalGroupsSequence);
  const perFrame = list(ds.PerFrameFunctionalGroupsSequence);
  const rows = inst.rows;
  const columns = inst.columns;
  const threshold = type === 'FRACTIONAL' ? Math.ceil(maxFractional / 2) : 1;
  const planes: ImportedPlane[] = frames.map((frame, f) => {
    const pf = perFrame[f];
    const segNo = Number(group(pf, shared, 'SegmentIdentificationSequence')?.ReferencedSegmentNumber);
    if (!segments.some((s) => s.key === segNo)) throw new AppError('INVALID_INPUT', `${path}: frame ${f + 1} names no known segment.`);
    const position = vec3(group(pf, shared, 'PlanePositionSequence')?.ImagePositionPatient, `frame ${f + 1} ImagePositionPatient`);
    const iop = numbers(group(pf, shared, 'PlaneOrientationSequence')?.ImageOrientationPatient);
    if (iop.length !== 6 || !iop.every(Number.isFinite)) throw new AppError('INVALID_INPUT', `${path}: frame ${f + 1} has no ImageOrientationPatient.`);
    const ps = numbers(group(pf, shared, 'PixelMeasuresSequence')?.PixelSpacing);
    if (ps.length !== 2 || !ps.every((x) => x > 0)) throw new AppError('INVALID_INPUT', `${path}: frame ${f + 1} has no PixelSpacing.`);
    if (frame.kind !== 'grey') throw new AppError('INVALID_INPUT', `${path}: a SEG frame must be monochrome.`);
    const keys = new Uint16Array(rows * columns);
    for (let p = 0; p < keys.length; p++) if (frame.values[p] >= threshold) keys[p] = segNo;
    return {
      originLps: position,
      // PixelSpacing = [between rows, between columns]; IOP = [row direction (along columns), column direction]
      colStepLps: [iop[0] * ps[1], iop[1] * ps[1], iop[2] * ps[1]],
      rowStepLps: [iop[3] * ps[0], iop[4] * ps[0], iop[5] * ps[0]],
      columns,
      rows,
      keys,
    };
  });

  const refSeries = list(ds.ReferencedSeriesSequence);
  const referencedInstanceUids = refSeries.flatMap((r) => list(r.ReferencedInstanceSequence).map((i) => str(i.ReferencedSOPInstanceUID)));
  for (const pf of perFrame) {
    for (const d of list(pf.DerivationImageSequence)) for (const s of list(d.SourceImageSequence)) referencedInstanceUids.push(str(s.ReferencedSOPInstanceUID));
  }
  return {
    sopInstanceUid: inst.sopInstanceUid,
    seriesDescription: inst.seriesDescription ?? '',
    referencedSeriesUids: refSeries.map((r) => str(r.SeriesInstanceUID)).filter(Boolean),
    referencedInstanceUids: [...new Set(referencedInstanceUids.filter(Boolean))],
    frameOfReferenceUid: inst.frameOfReferenceUid ?? '',
    segmentationType: type,
    segments,
    planes,
    notes,
  };
}
