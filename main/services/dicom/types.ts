// What the DICOM reader hands to series assembly: header facts per instance and per frame, already resolved
// (per-frame functional groups of enhanced multi-frame objects merged with the shared groups).
import type { Vec3 } from '../../../shared/domain/volume.js';

export interface DicomFrameInfo {
  /** 0-based frame number inside the instance (0 for single-frame). */
  frameIndex: number;
  /** ImagePositionPatient: LPS mm of the centre of the first transmitted pixel. */
  imagePositionPatient?: Vec3;
  /** ImageOrientationPatient: [row direction (along i), column direction (along j)] in LPS. */
  imageOrientationPatient?: [Vec3, Vec3];
  /** [spacing between columns (along i), spacing between rows (along j)] in mm, i.e. PixelSpacing reversed. */
  pixelSpacingMm?: [number, number];
  /** Where pixelSpacingMm came from; 'ImagerPixelSpacing' means detector plane (uncalibrated). */
  pixelSpacingSource: 'PixelSpacing' | 'ImagerPixelSpacing' | 'none';
  rescaleSlope: number;
  rescaleIntercept: number;
  /** Enhanced objects: DimensionIndexValues / StackID / TemporalPositionIndex when present. */
  stackId?: string;
  temporalPositionIndex?: number;
}

export interface DicomInstance {
  path: string;
  /** Byte offset of this object inside `path` when it came from an archive member, otherwise absent. */
  archiveMember?: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  patientId: string;
  patientName: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyInstanceUid: string;
  studyDate?: string;
  studyTime?: string;
  studyDescription?: string;
  accessionNumber?: string;
  seriesInstanceUid: string;
  seriesNumber?: number;
  seriesDescription?: string;
  modality: string;
  /** Body Part Examined (0018,0015), e.g. ABDOMEN, HEAD: a model made for one region is refused on another. */
  bodyPartExamined?: string;
  instanceNumber?: number;
  frameOfReferenceUid?: string;
  acquisitionNumber?: number;
  /** Image pixel module; absent (rows = 0) for non-image objects (SR, RTPLAN…). */
  rows: number;
  columns: number;
  samplesPerPixel: number;
  photometricInterpretation: string;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  planarConfiguration: number;
  numberOfFrames: number;
  /** One entry per frame. */
  frames: DicomFrameInfo[];
  /** GantryDetectorTilt (0018,1120) in degrees when present (informational; geometry comes from IOP/IPP). */
  gantryTiltDeg?: number;
  sliceThicknessMm?: number;
  windowCenter?: number;
  windowWidth?: number;
  /** PALETTE COLOR lookup tables (segmented ones expanded); decoded frames of such images are RGB. */
  palette?: PaletteLut;
  /** Modality LUT Sequence (0028,3000): when present it replaces Rescale Slope/Intercept. */
  modalityLut?: ModalityLut;
  /** Enhanced (per-frame functional groups) vs classic. */
  isEnhanced: boolean;
  hasPixelData: boolean;
}

/** A Modality LUT: stored value `firstStoredValue + i` maps to `entries[i]`; values outside clamp to the ends. */
export interface ModalityLut {
  firstStoredValue: number;
  entries: number[];
}

/** Palette: stored value `firstStoredValue + i` shows as (red[i], green[i], blue[i]); `bits` is 8 or 16. */
export interface PaletteLut {
  firstStoredValue: number;
  bits: number;
  red: number[];
  green: number[];
  blue: number[];
}

/** One decoded frame. Grey images are in modality units (rescale applied); colour images keep RGB bytes. */
export type DecodedFrame =
  | { kind: 'grey'; rows: number; columns: number; values: Int16Array | Uint16Array | Int32Array | Float32Array | Uint8Array | Int8Array | Uint32Array }
  | { kind: 'rgb'; rows: number; columns: number; rgb: Uint8Array | Uint16Array };
