// The primitive zod schemas of the method table — ids, LPS vectors and grids, voxel boxes, geometry reports, label
// info — declared ONCE: every contract file builds on these, and the domain types are checked against them below.
import { z } from 'zod';
import type { GeometryFinding, GeometryFindingCode, GeometryReport, GeometryStatus } from './geometry.js';
import type { LabelInfo, LabelKind } from './labelMap.js';
import { LABEL_KINDS } from './labelTable.js';
import type { Mat3, Vec3, VolumeGeometry } from './volume.js';

/**
 * Compile-time proof that a schema's inferred type and a hand-written domain type are the same type. Use as
 * `const x: TypesMatch<A, B> = true;` — a drift on either side makes `true` unassignable and tsc fails.
 */
export type TypesMatch<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** A database row id (series, segmentation, job, preview, measurement run …). */
export const idSchema = z.number().int().positive();

export const vec3Schema = z.tuple([z.number(), z.number(), z.number()]);
/** Rows are the LPS unit vectors of the i, j and k axes (VolumeGeometry.directionLps). */
export const mat3Schema = z.tuple([vec3Schema, vec3Schema, vec3Schema]);
const voxelIndex = z.number().int().nonnegative();
/** Integer voxel indices (i, j, k); continuous voxel positions (brush paths, seeds) use vec3Schema. */
export const voxelIjkSchema = z.tuple([voxelIndex, voxelIndex, voxelIndex]);
/** An inclusive box of voxel indices: a classical tool's ROI, an edit's changed region, a label-map fetch window. */
export const voxelBoxSchema = z.object({ minIjk: voxelIjkSchema, maxIjk: voxelIjkSchema });
export type VoxelBox = z.infer<typeof voxelBoxSchema>;

const axisLength = z.number().int().positive();
/** Voxel counts along i, j, k. */
export const dimsSchema = z.tuple([axisLength, axisLength, axisLength]);

/** The regular grid a volume or label map sits on, in LPS mm (VolumeGeometry). */
export const volumeGeometrySchema = z.object({
  dims: dimsSchema,
  spacingMm: vec3Schema,
  originLps: vec3Schema,
  directionLps: mat3Schema,
});

export const GEOMETRY_FINDING_CODES = [
  'GANTRY_TILT',
  'NON_UNIFORM_SPACING',
  'MISSING_SLICE',
  'DUPLICATE_POSITION',
  'MISSING_POSITION',
  'UNCALIBRATED_SPACING',
  'SINGLE_SLICE',
  'NON_ORTHOGONAL',
  'INCONSISTENT_ORIENTATION',
  'NIFTI_NO_ORIENTATION',
  'NIFTI_SPACING_ASSUMED',
  'NIFTI_UNITS_UNKNOWN',
  'NIFTI_UNITS_CONVERTED',
  'NIFTI_UNITS_INVALID',
  'NIFTI_EXTRA_DIMENSIONS',
  'NIFTI_TIME_AXIS',
  'RECORDED_STATUS',
] as const satisfies readonly GeometryFindingCode[];

export const geometryFindingSchema = z.object({
  code: z.enum(GEOMETRY_FINDING_CODES),
  severity: z.enum(['warning', 'unsafe']),
  message: z.string(),
  details: z.record(z.string(), z.number()).optional(),
});

/** Every volume's geometry report: mm and mL are refused when the status is `unsafe`. */
export const geometryReportSchema = z.object({
  status: z.enum(['ok', 'warning', 'unsafe']),
  findings: z.array(geometryFindingSchema),
});

/** Label values fit the Uint8/Uint16 label arrays; 0 is background. */
export const labelValueSchema = z.number().int().min(0).max(65535);
export const labelKindSchema = z.enum(LABEL_KINDS);
const colorChannel = z.number().int().min(0).max(255);
/** sRGB 0..255. */
export const colorRgbSchema = z.tuple([colorChannel, colorChannel, colorChannel]);

/** One row of a label map's label table. */
export const labelInfoSchema = z.object({ value: labelValueSchema, name: z.string(), colorRgb: colorRgbSchema, kind: labelKindSchema });
/** A label-table row with the number of voxels that carry it (stored segmentations, previews). */
export const labelWithVoxelsSchema = labelInfoSchema.extend({ voxels: z.number().int().nonnegative() });

/** Where a stored segmentation came from. */
export const segmentationSourceSchema = z.enum(['import', 'model', 'classical', 'edit']);

// The domain declares these types with their documentation; here they are proven equal to what the wire carries.
const vec3Matches: TypesMatch<z.infer<typeof vec3Schema>, Vec3> = true;
const mat3Matches: TypesMatch<z.infer<typeof mat3Schema>, Mat3> = true;
const geometryMatches: TypesMatch<z.infer<typeof volumeGeometrySchema>, VolumeGeometry> = true;
const findingCodesMatch: TypesMatch<(typeof GEOMETRY_FINDING_CODES)[number], GeometryFindingCode> = true;
const statusMatches: TypesMatch<z.infer<typeof geometryReportSchema>['status'], GeometryStatus> = true;
const findingMatches: TypesMatch<z.infer<typeof geometryFindingSchema>, GeometryFinding> = true;
const reportMatches: TypesMatch<z.infer<typeof geometryReportSchema>, GeometryReport> = true;
const kindMatches: TypesMatch<z.infer<typeof labelKindSchema>, LabelKind> = true;
const labelMatches: TypesMatch<z.infer<typeof labelInfoSchema>, LabelInfo> = true;
void [vec3Matches, mat3Matches, geometryMatches, findingCodesMatch, statusMatches, findingMatches, reportMatches, kindMatches, labelMatches];
