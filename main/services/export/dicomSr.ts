// DICOM SR measurement report (TID 1500, Comprehensive SR): one Measurement Group (TID 1411) per label and per lesion
// instance — volume with its partial-volume band, intensity mean/SD, RECIST axes — each referencing its SEG segment
// and the source series. The SEG is written beside the SR (same export), so the references resolve. The series'
// stored annotations (ruler, angle, ROI) follow as measurement groups on the source image they were drawn on.
import { segmentCodingOf, type CodedConcept } from '../../../shared/domain/export/segmentCodes.js';
import type { LabelMeasurement } from '../../../shared/domain/measure/measureLabels.js';
import { AppError } from '../../../shared/errors.js';
import { writeFileAtomic } from './atomicWrite.js';
import type { ExportContext, ExportInstanceRef } from './context.js';
import type { AnnotationRow } from '../../../shared/domain/reading/annotationRows.js';
import { buildSegDataset, SEG_SOP_CLASS_UID } from './dicomSeg.js';
import { codeItem, dicomDate, dicomTime, ds, encodePart10, patientStudyModules, softwareVersion, type NaturalDataset } from './dicomTags.js';
import type { ExportFormatHandler } from './formats.js';
import { derivedUid, newUid } from './uids.js';

export const COMPREHENSIVE_SR_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.88.33';

const dcm = (codeValue: string, codeMeaning: string): CodedConcept => ({ codeValue, codingSchemeDesignator: 'DCM', codeMeaning });
const sct = (codeValue: string, codeMeaning: string): CodedConcept => ({ codeValue, codingSchemeDesignator: 'SCT', codeMeaning });
const ucum = (codeValue: string, codeMeaning: string): CodedConcept => ({ codeValue, codingSchemeDesignator: 'UCUM', codeMeaning });

export const SR_CODES = {
  report: dcm('126000', 'Imaging Measurement Report'),
  language: dcm('121049', 'Language of Content Item and Descendants'),
  englishUs: { codeValue: 'en-US', codingSchemeDesignator: 'RFC5646', codeMeaning: 'English (United States)' },
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  deviceUid: dcm('121012', 'Device Observer UID'),
  deviceName: dcm('121013', 'Device Observer Name'),
  procedureReported: dcm('121058', 'Procedure reported'),
  imageLibrary: dcm('111028', 'Image Library'),
  imageLibraryGroup: dcm('126200', 'Image Library Group'),
  imagingMeasurements: dcm('126010', 'Imaging Measurements'),
  measurementGroup: dcm('125007', 'Measurement Group'),
  trackingId: dcm('112039', 'Tracking Identifier'),
  trackingUid: dcm('112040', 'Tracking Unique Identifier'),
  finding: dcm('121071', 'Finding'),
  referencedSegment: dcm('121191', 'Referenced Segment'),
  sourceSeries: dcm('121232', 'Source series for segmentation'),
  derivation: dcm('121401', 'Derivation'),
  volume: sct('118565006', 'Volume'),
  minimum: sct('255605001', 'Minimum'),
  maximum: sct('56851009', 'Maximum'),
  mean: sct('373098007', 'Mean'),
  standardDeviation: sct('386136009', 'Standard Deviation'),
  attenuation: dcm('112031', 'Attenuation Coefficient'),
  mrSignal: dcm('110852', 'MR signal intensity'),
  longAxis: sct('103339001', 'Long Axis'),
  shortAxis: sct('103340004', 'Short Axis'),
  length: sct('410668003', 'Length'),
  angle: sct('1483009', 'Angle'),
  area: sct('42798000', 'Area'),
  imageRegion: dcm('111030', 'Image Region'),
  ml: ucum('ml', 'milliliter'),
  mm2: ucum('mm2', 'square millimeter'),
  degrees: ucum('deg', 'degree'),
  mm: ucum('mm', 'millimeter'),
  hu: ucum("[hnsf'U]", 'Hounsfield unit'),
  noUnits: ucum('1', 'no units'),
};

function procedureOf(modality: string): CodedConcept {
  if (modality === 'CT') return sct('77477000', 'Computerized axial tomography');
  if (modality === 'MR') return sct('113091000', 'Magnetic resonance imaging');
  return sct('363679005', 'Imaging');
}

const container = (concept: CodedConcept, relationship: string, children: NaturalDataset[]): NaturalDataset => ({
  RelationshipType: relationship,
  ValueType: 'CONTAINER',
  ConceptNameCodeSequence: [codeItem(concept)],
  ContinuityOfContent: 'SEPARATE',
  ContentSequence: children,
});
const codeValue = (relationship: string, concept: CodedConcept, value: CodedConcept): NaturalDataset => ({
  RelationshipType: relationship,
  ValueType: 'CODE',
  ConceptNameCodeSequence: [codeItem(concept)],
  ConceptCodeSequence: [codeItem(value)],
});
const text = (relationship: string, concept: CodedConcept, value: string): NaturalDataset => ({
  RelationshipType: relationship,
  ValueType: 'TEXT',
  ConceptNameCodeSequence: [codeItem(concept)],
  TextValue: value,
});
const uidref = (relationship: string, concept: CodedConcept, value: string): NaturalDataset => ({
  RelationshipType: relationship,
  ValueType: 'UIDREF',
  ConceptNameCodeSequence: [codeItem(concept)],
  UID: value,
});
function num(concept: CodedConcept, value: number, unit: CodedConcept, derivation?: CodedConcept): NaturalDataset {
  const item: NaturalDataset = {
    RelationshipType: 'CONTAINS',
    ValueType: 'NUM',
    ConceptNameCodeSequence: [codeItem(concept)],
    MeasuredValueSequence: [{ NumericValue: ds(value), MeasurementUnitsCodeSequence: [codeItem(unit)] }],
  };
  if (derivation) item.ContentSequence = [codeValue('HAS CONCEPT MOD', SR_CODES.derivation, derivation)];
  return item;
}

/**
 * A planar coordinate on the source image a volume slice copies: SCOORD pixel coordinates are (column, row) with the
 * top left corner of the top left pixel at (0, 0), so a voxel centre i, j is at i + 0.5, j + 0.5.
 */
function scoord(
  relationship: string,
  concept: CodedConcept | null,
  graphicType: string,
  pointsIj: [number, number][],
  image: ExportInstanceRef,
): NaturalDataset {
  const item: NaturalDataset = {
    RelationshipType: relationship,
    ValueType: 'SCOORD',
    GraphicType: graphicType,
    GraphicData: pointsIj.flatMap(([i, j]) => [i + 0.5, j + 0.5]),
    ContentSequence: [
      {
        RelationshipType: 'SELECTED FROM',
        ValueType: 'IMAGE',
        ReferencedSOPSequence: [
          {
            ReferencedSOPClassUID: image.sopClassUid,
            ReferencedSOPInstanceUID: image.sopInstanceUid,
            ...(image.frameNumber !== undefined ? { ReferencedFrameNumber: image.frameNumber } : {}),
          },
        ],
      },
    ],
  };
  if (concept) item.ConceptNameCodeSequence = [codeItem(concept)];
  return item;
}

/** The figures of an annotation's group (read back by tests and compared with annotations.list). */
export interface SrAnnotationFigures {
  trackingId: string;
  annotationId: number;
  kind: AnnotationRow['kind'];
  sopInstanceUid: string;
}

/**
 * The series' annotations as measurement groups: a ruler or angle as a TID 1501 group with a TID 300 length/angle
 * inferred from its polyline, an ellipse or freehand ROI as a TID 1410 group (image region + TID 1419 mean, SD, min,
 * max and area). Only current figures on one axial slice that copies a source image can reference that image; text,
 * and the others, are left out with a note.
 */
function annotationGroups(
  ctx: ExportContext,
  rows: readonly AnnotationRow[],
  intensity: { concept: CodedConcept; unit: CodedConcept },
  trackingUidBase: string,
): { items: NaturalDataset[]; figures: SrAnnotationFigures[]; notes: string[] } {
  const items: NaturalDataset[] = [];
  const figures: SrAnnotationFigures[] = [];
  const left: string[] = [];
  for (const r of rows) {
    const k = r.pointsIjk[0]?.[2] ?? NaN;
    const onOneSlice = r.pointsIjk.every((p) => Math.abs(p[2] - Math.round(k)) < 1e-6) && (r.roiSliceAxis === null || r.roiSliceAxis === 2);
    const image = onOneSlice ? ctx.source.sliceSources[Math.round(k)] : null;
    if (r.kind === 'text' || !r.current || !image?.sopClassUid) {
      left.push(`#${r.annotationId} ${r.kind}`);
      continue;
    }
    const trackingId = `annotation #${r.annotationId} ${r.kind}`;
    const ij = r.pointsIjk.map((p) => [p[0], p[1]] as [number, number]);
    const children: NaturalDataset[] = [
      text('HAS OBS CONTEXT', SR_CODES.trackingId, trackingId),
      uidref('HAS OBS CONTEXT', SR_CODES.trackingUid, derivedUid(`medseg:annotation:${trackingUidBase}:${r.annotationId}`)),
    ];
    if (r.kind === 'ruler' || r.kind === 'angle') {
      const value = r.kind === 'ruler' ? r.lengthMm : r.angleDeg;
      if (value === null) {
        left.push(`#${r.annotationId} ${r.kind}`);
        continue;
      }
      const measured = num(r.kind === 'ruler' ? SR_CODES.length : SR_CODES.angle, value, r.kind === 'ruler' ? SR_CODES.mm : SR_CODES.degrees);
      measured.ContentSequence = [scoord('INFERRED FROM', null, 'POLYLINE', ij, image)];
      children.push(measured);
    } else {
      let region: NaturalDataset;
      if (r.kind === 'ellipse') {
        // DICOM's ELLIPSE: the major axis' two end points, then the minor axis'
        const [[i0, j0], [i1, j1]] = ij;
        const [ci, cj, ri, rj] = [(i0 + i1) / 2, (j0 + j1) / 2, Math.abs(i1 - i0) / 2, Math.abs(j1 - j0) / 2];
        const alongI: [number, number][] = [
          [ci - ri, cj],
          [ci + ri, cj],
        ];
        const alongJ: [number, number][] = [
          [ci, cj - rj],
          [ci, cj + rj],
        ];
        region = scoord('CONTAINS', SR_CODES.imageRegion, 'ELLIPSE', ri >= rj ? [...alongI, ...alongJ] : [...alongJ, ...alongI], image);
      } else region = scoord('CONTAINS', SR_CODES.imageRegion, 'POLYLINE', [...ij, ij[0]!], image); // closed: last = first
      children.push(region);
      const stat = (value: number | null, derivation: CodedConcept): void => {
        if (value !== null) children.push(num(intensity.concept, value, intensity.unit, derivation));
      };
      stat(r.roiMean, SR_CODES.mean);
      stat(r.roiSd, SR_CODES.standardDeviation);
      stat(r.roiMin, SR_CODES.minimum);
      stat(r.roiMax, SR_CODES.maximum);
      if (r.roiAreaMm2 !== null) children.push(num(SR_CODES.area, r.roiAreaMm2, SR_CODES.mm2));
    }
    items.push(container(SR_CODES.measurementGroup, 'CONTAINS', children));
    figures.push({ trackingId, annotationId: r.annotationId, kind: r.kind, sopInstanceUid: image.sopInstanceUid });
  }
  const notes =
    left.length > 0
      ? [`Annotations not in the SR (text, not current, refused mm, or not on one axial source image): ${left.join(', ')}; the CSV/JSON/PDF exports list them.`]
      : [];
  return { items, figures, notes };
}

/** The measurement figures a group carries (read back by tests and compared with the measurement table). */
export interface SrGroupFigures {
  trackingId: string;
  segmentNumber: number;
  labelValue: number;
  instanceId: number | null;
  volumeMl: number;
  volumeMlLower: number;
  volumeMlUpper: number;
  mean?: number;
  sd?: number;
  recistLongMm?: number;
  recistShortMm?: number;
}

export interface BuiltSr {
  sr: NaturalDataset;
  seg: NaturalDataset;
  groups: SrGroupFigures[];
  /** The groups made of the series' stored annotations. */
  annotations: SrAnnotationFigures[];
  notes: string[];
}

export async function buildSrDatasets(ctx: ExportContext, opts: { now?: Date } = {}): Promise<BuiltSr> {
  const study = ctx.source.study;
  if (ctx.source.kind !== 'dicom' || !study) throw new AppError('INVALID_INPUT', 'A DICOM SR references its source images: give the DICOM series as PATH.');
  // mm and mL pass the geometry gate inside the measure service (UNSAFE_GEOMETRY)
  const result = await ctx.measurements();
  const now = opts.now ?? new Date();
  const seg = buildSegDataset(ctx, { now });
  const segmentOf = new Map(seg.segments.map((s) => [s.label.value, s.segmentNumber]));
  const ct = ctx.source.modality === 'CT';
  const intensityConcept = ct ? SR_CODES.attenuation : SR_CODES.mrSignal;
  const intensityUnit = ct ? SR_CODES.hu : SR_CODES.noUnits;
  const groups: SrGroupFigures[] = [];
  const groupItems: NaturalDataset[] = [];

  const addGroup = (l: LabelMeasurement, segmentNumber: number, inst: LabelMeasurement['instances'][number] | null): void => {
    const trackingId = inst ? `${l.name} #${inst.id}` : l.name;
    const coding = segmentCodingOf(l);
    const figures: SrGroupFigures = {
      trackingId,
      segmentNumber,
      labelValue: l.value,
      instanceId: inst ? inst.id : null,
      volumeMl: inst ? inst.volumeMl : l.volumeMl,
      volumeMlLower: inst ? inst.volumeMlLower : l.volumeMlLower,
      volumeMlUpper: inst ? inst.volumeMlUpper : l.volumeMlUpper,
    };
    const children: NaturalDataset[] = [
      text('HAS OBS CONTEXT', SR_CODES.trackingId, trackingId.slice(0, 64)),
      uidref('HAS OBS CONTEXT', SR_CODES.trackingUid, derivedUid(`medseg:tracking:${seg.seriesInstanceUid}:${l.value}:${inst?.id ?? 0}`)),
      codeValue('CONTAINS', SR_CODES.finding, coding.type),
      {
        RelationshipType: 'CONTAINS',
        ValueType: 'IMAGE',
        ConceptNameCodeSequence: [codeItem(SR_CODES.referencedSegment)],
        ReferencedSOPSequence: [
          { ReferencedSOPClassUID: SEG_SOP_CLASS_UID, ReferencedSOPInstanceUID: seg.sopInstanceUid, ReferencedSegmentNumber: segmentNumber },
        ],
      },
      uidref('CONTAINS', SR_CODES.sourceSeries, study.seriesInstanceUid),
      num(SR_CODES.volume, figures.volumeMl, SR_CODES.ml),
      num(SR_CODES.volume, figures.volumeMlLower, SR_CODES.ml, SR_CODES.minimum),
      num(SR_CODES.volume, figures.volumeMlUpper, SR_CODES.ml, SR_CODES.maximum),
    ];
    if (!inst && l.stats && l.stats.mean !== null && l.stats.sd !== null) {
      figures.mean = l.stats.mean;
      figures.sd = l.stats.sd;
      children.push(
        num(intensityConcept, l.stats.mean, intensityUnit, SR_CODES.mean),
        num(intensityConcept, l.stats.sd, intensityUnit, SR_CODES.standardDeviation),
      );
    }
    if (inst) {
      figures.recistLongMm = inst.recistLongMm;
      figures.recistShortMm = inst.recistShortMm;
      children.push(num(SR_CODES.longAxis, inst.recistLongMm, SR_CODES.mm), num(SR_CODES.shortAxis, inst.recistShortMm, SR_CODES.mm));
    }
    groups.push(figures);
    groupItems.push(container(SR_CODES.measurementGroup, 'CONTAINS', children));
  };
  for (const l of result.labels) {
    const segmentNumber = segmentOf.get(l.value);
    if (segmentNumber === undefined || l.voxels === 0) continue;
    addGroup(l, segmentNumber, null);
    for (const inst of l.instances) addGroup(l, segmentNumber, inst);
  }
  const annotations = annotationGroups(ctx, ctx.annotations?.rows ?? [], { concept: intensityConcept, unit: intensityUnit }, study.seriesInstanceUid);
  groupItems.push(...annotations.items);

  const images = ctx.source.instances.filter((i) => i.sopClassUid);
  const library = container(SR_CODES.imageLibrary, 'CONTAINS', [
    container(
      SR_CODES.imageLibraryGroup,
      'CONTAINS',
      images.map((i) => ({
        RelationshipType: 'CONTAINS',
        ValueType: 'IMAGE',
        ReferencedSOPSequence: [{ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: i.sopInstanceUid }],
      })),
    ),
  ]);
  const srSeriesUid = newUid();
  const sr: NaturalDataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: COMPREHENSIVE_SR_SOP_CLASS_UID,
    SOPInstanceUID: newUid(),
    InstanceCreationDate: dicomDate(now),
    InstanceCreationTime: dicomTime(now),
    ...patientStudyModules(ctx),
    Modality: 'SR',
    SeriesInstanceUID: srSeriesUid,
    SeriesNumber: 9001,
    SeriesDescription: `medseg measurements ${ctx.provenance.name}`.slice(0, 64),
    ReferencedPerformedProcedureStepSequence: [],
    Manufacturer: 'medseg',
    SoftwareVersions: softwareVersion(),
    InstanceNumber: 1,
    ContentDate: dicomDate(now),
    ContentTime: dicomTime(now),
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [codeItem(SR_CODES.report)],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }],
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [
      {
        StudyInstanceUID: study.studyInstanceUid,
        ReferencedSeriesSequence: [
          {
            SeriesInstanceUID: study.seriesInstanceUid,
            ReferencedSOPSequence: images.map((i) => ({ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: i.sopInstanceUid })),
          },
          {
            SeriesInstanceUID: seg.seriesInstanceUid,
            ReferencedSOPSequence: [{ ReferencedSOPClassUID: SEG_SOP_CLASS_UID, ReferencedSOPInstanceUID: seg.sopInstanceUid }],
          },
        ],
      },
    ],
    ContentSequence: [
      codeValue('HAS CONCEPT MOD', SR_CODES.language, SR_CODES.englishUs),
      codeValue('HAS OBS CONTEXT', SR_CODES.observerType, SR_CODES.device),
      uidref('HAS OBS CONTEXT', SR_CODES.deviceUid, derivedUid('medseg device observer')),
      text('HAS OBS CONTEXT', SR_CODES.deviceName, `medseg ${softwareVersion()}`),
      codeValue('HAS CONCEPT MOD', SR_CODES.procedureReported, procedureOf(ctx.source.modality)),
      library,
      container(SR_CODES.imagingMeasurements, 'CONTAINS', groupItems),
    ],
  };
  const notes = [...seg.notes, ...annotations.notes];
  if (result.geometry.warnings.length > 0) notes.push(...result.geometry.warnings.map((w) => `${w.code}: ${w.message}`));
  return { sr, seg: seg.dataset, groups, annotations: annotations.figures, notes };
}

/** The SEG beside an SR: OUT.sr.dcm → OUT.seg.dcm, else OUT + '.seg.dcm'. */
export function segPathBeside(srPath: string): string {
  return /\.sr\.dcm$/i.test(srPath) ? srPath.replace(/\.sr\.dcm$/i, '.seg.dcm') : `${srPath.replace(/\.dcm$/i, '')}.seg.dcm`;
}

export const dicomSrFormat: ExportFormatHandler = {
  summary: 'DICOM SR measurement report (TID 1500) with the DICOM SEG it references, written beside it',
  extension: '.sr.dcm',
  async write(ctx, req) {
    const built = await buildSrDatasets(ctx);
    const segPath = segPathBeside(req.outPath);
    const segBytes = await writeFileAtomic(segPath, encodePart10(built.seg));
    const srBytes = await writeFileAtomic(req.outPath, encodePart10(built.sr));
    return {
      format: 'sr',
      files: [req.outPath, segPath],
      bytes: srBytes + segBytes,
      notes: built.notes,
      details: { groups: built.groups, annotations: built.annotations },
    };
  },
};
