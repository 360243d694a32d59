// DICOM Segmentation (binary SEG) of a label map: one segment per label (SNOMED CT coded), one frame per segment and
// slice that holds it (empty frames omitted), each placed by its own position, referencing the source instances.
import { requirePhysicalUnits } from '../../../shared/domain/geometryGate.js';
import { segmentCodingOf } from '../../../shared/domain/export/segmentCodes.js';
import type { LabelInfo } from '../../../shared/domain/labelTable.js';
import { ijkToLps } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { writeFileAtomic } from './atomicWrite.js';
import type { ExportContext } from './context.js';
import { newUid } from './uids.js';
import { codeItem, dcmjs, dicomDate, dicomTime, ds, encodePart10, patientStudyModules, softwareVersion, type NaturalDataset } from './dicomTags.js';
import type { ExportFormatHandler } from './formats.js';

export const SEG_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.66.4';
const SOURCE_IMAGE_PURPOSE = { codeValue: '121322', codingSchemeDesignator: 'DCM', codeMeaning: 'Source image for image processing operation' };
const SEGMENTATION_DERIVATION = { codeValue: '113076', codingSchemeDesignator: 'DCM', codeMeaning: 'Segmentation' };
/** DimensionIndexPointer / FunctionalGroupPointer values: (0062,000B), (0062,000A), (0020,0032), (0020,9113). */
const TAG_REFERENCED_SEGMENT_NUMBER = 0x0062000b;
const TAG_SEGMENT_IDENTIFICATION_SEQUENCE = 0x0062000a;
const TAG_IMAGE_POSITION_PATIENT = 0x00200032;
const TAG_PLANE_POSITION_SEQUENCE = 0x00209113;

export interface SegFrame {
  segmentNumber: number;
  /** Volume slice index k. */
  slice: number;
}

export interface BuiltSeg {
  dataset: NaturalDataset;
  segments: { segmentNumber: number; label: LabelInfo }[];
  frames: SegFrame[];
  sopInstanceUid: string;
  seriesInstanceUid: string;
  notes: string[];
}

export interface SegBuildOptions {
  now?: Date;
  sopInstanceUid?: string;
  seriesInstanceUid?: string;
  seriesNumber?: number;
}

/** Packs frames of 0/1 bytes into one bit stream (first pixel in the least significant bit), frames back to back. */
export function packBits(frames: Uint8Array[], pixelsPerFrame: number): Uint8Array {
  const totalBits = frames.length * pixelsPerFrame;
  const bytes = Math.ceil(totalBits / 8);
  const out = new Uint8Array(bytes + (bytes % 2));
  let bit = 0;
  for (const f of frames) {
    for (let p = 0; p < pixelsPerFrame; p++, bit++) if (f[p]) out[bit >> 3] |= 1 << (bit & 7);
  }
  return out;
}

function algorithmName(ctx: ExportContext): string {
  const m = ctx.provenance.model;
  if (m) return `${m.id} ${m.version}`.slice(0, 64);
  if (ctx.provenance.source === 'classical') return 'medseg classical tools';
  return 'medseg';
}

/** Builds the SEG dataset (no file written). Refuses a non-DICOM source and unsafe geometry (frames would be misplaced). */
export function buildSegDataset(ctx: ExportContext, opts: SegBuildOptions = {}): BuiltSeg {
  const { source, labelMap } = ctx;
  if (source.kind !== 'dicom' || !source.study) {
    throw new AppError('INVALID_INPUT', 'A DICOM SEG references its source images: give the DICOM series as PATH (not a NIfTI volume).');
  }
  // Frame positions are millimetres in patient space: the same gate as every mm/mL output.
  requirePhysicalUnits(source.geometry, 'A DICOM SEG (frames placed in patient space)');
  const notes: string[] = [];
  const [nx, ny, nz] = labelMap.dims;
  const sliceLen = nx * ny;
  const labels = labelMap.labels;
  // which labels occur on which slice
  const present = new Map<number, Set<number>>();
  for (let k = 0; k < nz; k++) {
    const base = k * sliceLen;
    for (let p = 0; p < sliceLen; p++) {
      const v = labels[base + p];
      if (v === 0) continue;
      let s = present.get(v);
      if (!s) present.set(v, (s = new Set()));
      s.add(k);
    }
  }
  const tableByValue = new Map(labelMap.table.map((l) => [l.value, l]));
  const values = [...present.keys()].sort((a, b) => a - b);
  const emptyLabels = labelMap.table.filter((l) => !present.has(l.value));
  if (emptyLabels.length > 0) notes.push(`Labels without voxels are not written as segments: ${emptyLabels.map((l) => `${l.value} ${l.name}`).join(', ')}.`);
  if (values.length === 0) throw new AppError('INVALID_INPUT', 'The label map is empty: a DICOM SEG needs at least one labelled voxel.');

  const { Colors } = dcmjs();
  const algorithmType = ctx.provenance.algorithmType;
  const segments = values.map((value, n) => ({
    segmentNumber: n + 1,
    label: tableByValue.get(value) ?? { value, name: `label ${value}`, colorRgb: [128, 128, 128] as [number, number, number], kind: 'other' as const },
  }));
  const unknown: string[] = [];
  const segmentSequence = segments.map(({ segmentNumber, label }) => {
    const coding = segmentCodingOf(label);
    if (!coding.known) unknown.push(`${label.name} (as "${coding.type.codeMeaning}")`);
    const item: NaturalDataset = {
      SegmentNumber: segmentNumber,
      SegmentLabel: label.name.slice(0, 64),
      SegmentDescription: `medseg label ${label.value} (${label.kind})`.slice(0, 64),
      SegmentAlgorithmType: algorithmType,
      SegmentedPropertyCategoryCodeSequence: [codeItem(coding.category)],
      SegmentedPropertyTypeCodeSequence: [
        { ...codeItem(coding.type), ...(coding.typeModifier ? { SegmentedPropertyTypeModifierCodeSequence: [codeItem(coding.typeModifier)] } : {}) },
      ],
      RecommendedDisplayCIELabValue: Colors.rgb2DICOMLAB(label.colorRgb.map((c) => c / 255)).map((x) => Math.round(x)),
    };
    if (coding.anatomicRegion) item.AnatomicRegionSequence = [codeItem(coding.anatomicRegion)];
    if (algorithmType !== 'MANUAL') item.SegmentAlgorithmName = algorithmName(ctx);
    return item;
  });
  if (unknown.length > 0) notes.push(`No specific SNOMED CT concept known for ${unknown.join(', ')}: a generic code was used.`);

  // frames: segment-major, slices in grid order; each frame's pixels copied out of the label map
  const frames: SegFrame[] = [];
  const frameBits: Uint8Array[] = [];
  for (const { segmentNumber, label } of segments) {
    const slices = [...(present.get(label.value) ?? [])].sort((a, b) => a - b);
    for (const k of slices) {
      const bits = new Uint8Array(sliceLen);
      const base = k * sliceLen;
      for (let p = 0; p < sliceLen; p++) bits[p] = labels[base + p] === label.value ? 1 : 0;
      frames.push({ segmentNumber, slice: k });
      frameBits.push(bits);
    }
  }

  const rowDir = labelMap.directionLps[0];
  const colDir = labelMap.directionLps[1];
  const perFrame = frames.map(({ segmentNumber, slice }) => {
    const pos = ijkToLps(labelMap, [0, 0, slice]);
    const item: NaturalDataset = {
      FrameContentSequence: [{ DimensionIndexValues: [segmentNumber, slice + 1] }],
      PlanePositionSequence: [{ ImagePositionPatient: pos.map(ds) }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: segmentNumber }],
    };
    // the source frame the slice copies, or the two it was blended from (tilt or gap correction)
    const from = (source.sliceDerivedFrom[slice] ?? []).filter((r) => r.sopClassUid);
    if (from.length > 0) {
      const refs = from.map((src) => {
        const ref: NaturalDataset = {
          ReferencedSOPClassUID: src.sopClassUid,
          ReferencedSOPInstanceUID: src.sopInstanceUid,
          PurposeOfReferenceCodeSequence: [codeItem(SOURCE_IMAGE_PURPOSE)],
        };
        if (src.frameNumber !== undefined) ref.ReferencedFrameNumber = src.frameNumber;
        return ref;
      });
      item.DerivationImageSequence = [{ SourceImageSequence: refs, DerivationCodeSequence: [codeItem(SEGMENTATION_DERIVATION)] }];
    }
    return item;
  });
  if (source.sliceSources.some((s) => s === null)) {
    notes.push(
      'Some slices of the series were interpolated (tilt or gap correction): their frames are placed by position and reference the source images they were interpolated from.',
    );
  }

  const now = opts.now ?? new Date();
  const sopInstanceUid = opts.sopInstanceUid ?? newUid();
  const seriesInstanceUid = opts.seriesInstanceUid ?? newUid();
  const study = source.study;
  const referencedInstances = source.instances
    .filter((i) => i.sopClassUid)
    .map((i) => ({ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: i.sopInstanceUid }));
  const prov = ctx.provenance;
  const description = [
    prov.model ? `model ${prov.model.id} ${prov.model.version} sha256 ${prov.model.sha256.slice(0, 12)}` : `source ${prov.source}`,
    prov.segmentationId !== undefined ? `segmentation ${prov.segmentationId} v${prov.labelMapVersion ?? 0}` : '',
    `geometry ${source.geometry.status}`,
  ]
    .filter(Boolean)
    .join('; ')
    .slice(0, 64);

  const dataset: NaturalDataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: SEG_SOP_CLASS_UID,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: dicomDate(now),
    InstanceCreationTime: dicomTime(now),
    ...patientStudyModules(ctx),
    Modality: 'SEG',
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: opts.seriesNumber ?? 9000,
    SeriesDescription: `medseg ${prov.name}`.slice(0, 64),
    SeriesDate: dicomDate(now),
    SeriesTime: dicomTime(now),
    FrameOfReferenceUID: study.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    Manufacturer: 'medseg',
    ManufacturerModelName: 'medseg',
    DeviceSerialNumber: '1',
    SoftwareVersions: softwareVersion(),
    InstanceNumber: 1,
    ContentDate: dicomDate(now),
    ContentTime: dicomTime(now),
    ContentLabel: 'MEDSEG',
    ContentDescription: description,
    ContentCreatorName: '',
    ImageType: ['DERIVED', 'PRIMARY'],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: ny,
    Columns: nx,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    SegmentSequence: segmentSequence,
    NumberOfFrames: frames.length,
    DimensionOrganizationType: '3D',
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: derivedDimensionUid(seriesInstanceUid) }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: derivedDimensionUid(seriesInstanceUid),
        DimensionIndexPointer: TAG_REFERENCED_SEGMENT_NUMBER,
        FunctionalGroupPointer: TAG_SEGMENT_IDENTIFICATION_SEQUENCE,
        DimensionDescriptionLabel: 'ReferencedSegmentNumber',
      },
      {
        DimensionOrganizationUID: derivedDimensionUid(seriesInstanceUid),
        DimensionIndexPointer: TAG_IMAGE_POSITION_PATIENT,
        FunctionalGroupPointer: TAG_PLANE_POSITION_SEQUENCE,
        DimensionDescriptionLabel: 'ImagePositionPatient',
      },
    ],
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [
          {
            PixelSpacing: [ds(labelMap.spacingMm[1]), ds(labelMap.spacingMm[0])],
            SliceThickness: ds(labelMap.spacingMm[2]),
            SpacingBetweenSlices: ds(labelMap.spacingMm[2]),
          },
        ],
        PlaneOrientationSequence: [{ ImageOrientationPatient: [...rowDir, ...colDir].map(ds) }],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
    ReferencedSeriesSequence: [{ SeriesInstanceUID: study.seriesInstanceUid, ReferencedInstanceSequence: referencedInstances }],
    PixelData: packBits(frameBits, sliceLen).buffer,
    _vrMap: { PixelData: 'OB' },
  };
  return { dataset, segments, frames, sopInstanceUid, seriesInstanceUid, notes };
}

function derivedDimensionUid(seriesUid: string): string {
  // one organisation per SEG series; derived so that the two pointers name the same UID
  return seriesUid.length <= 60 ? `${seriesUid}.1` : seriesUid;
}

export const dicomSegFormat: ExportFormatHandler = {
  summary: 'DICOM Segmentation (binary), one SNOMED CT coded segment per label',
  extension: '.seg.dcm',
  async write(ctx, req) {
    const built = buildSegDataset(ctx);
    const bytes = encodePart10(built.dataset);
    const written = await writeFileAtomic(req.outPath, bytes);
    return {
      format: 'seg',
      files: [req.outPath],
      bytes: written,
      notes: built.notes,
      details: {
        segments: built.segments.map((s) => ({ segmentNumber: s.segmentNumber, value: s.label.value, name: s.label.name })),
        frames: built.frames.length,
        sopInstanceUid: built.sopInstanceUid,
        seriesInstanceUid: built.seriesInstanceUid,
      },
    };
  },
};
