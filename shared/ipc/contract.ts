// The ONE method table the UI can call: name -> {input, output} zod schemas, plus the push events and the binary
// resources (voxels, label maps) that never travel as JSON. Electron IPC, HTTP and tests are adapters over this.
import { z } from 'zod';
import { ERROR_CODES } from '../errors.js';
import { VOXEL_DTYPES } from '../domain/dtypes.js';
import {
  dimsSchema,
  geometryReportSchema,
  idSchema,
  labelInfoSchema,
  labelWithVoxelsSchema,
  segmentationSourceSchema,
  vec3Schema,
  volumeGeometrySchema,
  voxelBoxSchema,
} from '../domain/schemas.js';
import { analysisEvents, analysisMethods } from './contract-analysis.js';
import { timelineMethods } from './contract-timeline.js';
import { editMethods } from './contract-edit.js';
import { modelMethods } from './contract-models.js';
import { planningMethods } from './contract-planning.js';
import { exportMethods } from './contract-export.js';
import { progressiveMethods } from './contract-progressive.js';
import { bodycompMethods } from './contract-bodycomp.js';
import { annotationMethods } from './contract-annotations.js';

/** A path on the machine running the services; existence is checked by the service, never trusted here. */
const localPath = z.string().min(1).max(4096);

export const seriesNodeSchema = z.object({
  seriesId: idSchema,
  seriesInstanceUid: z.string(),
  seriesNumber: z.number().nullable(),
  modality: z.string(),
  description: z.string(),
  dims: dimsSchema,
  spacingMm: vec3Schema,
  instanceCount: z.number().int(),
  geometry: geometryReportSchema,
});

export const studyNodeSchema = z.object({
  studyInstanceUid: z.string(),
  description: z.string(),
  date: z.string().nullable(),
  series: z.array(seriesNodeSchema),
});

export const patientNodeSchema = z.object({
  patientId: z.string(),
  name: z.string(),
  studies: z.array(studyNodeSchema),
});

/** Element types a binary resource can carry; little-endian, i-fastest like Volume.voxels. */
export const voxelDtypeSchema = z.enum(VOXEL_DTYPES);

/** A stored segmentation (the record); its voxels, the label map, come from binary 'labelmap/<segmentationId>'. */
export const segmentationInfoSchema = z.object({
  segmentationId: idSchema,
  seriesId: idSchema,
  name: z.string(),
  source: segmentationSourceSchema,
  createdAt: z.string(),
  /** voxels: how many carry each label (always present for stored ones; the viewer's preview layers leave it out). */
  labels: z.array(labelInfoSchema.extend({ voxels: labelWithVoxelsSchema.shape.voxels.optional() })),
});

export const importSummarySchema = z.object({
  filesSeen: z.number().int(),
  seriesIds: z.array(idSchema),
  problems: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })),
});

const empty = z.object({}).strict();

export const methods = {
  'app.info': {
    input: empty,
    output: z.object({ name: z.string(), version: z.string(), mode: z.enum(['electron', 'http']), canPickPaths: z.boolean() }),
  },
  'catalog.list': {
    input: empty,
    output: z.object({ patients: z.array(patientNodeSchema) }),
  },
  /** Long-running; progress arrives as 'import.progress' events. Paths are only read. */
  'import.paths': {
    input: z.object({ paths: z.array(localPath).min(1).max(1000) }).strict(),
    output: importSummarySchema,
  },
  /** Native picker (Electron only; app.info.canPickPaths says whether it exists). */
  'dialog.pickPaths': {
    input: z.object({ kind: z.enum(['files', 'folder']) }).strict(),
    output: z.object({ paths: z.array(z.string()) }),
  },
  /** Geometry and value facts of a series volume; the voxels themselves come from binary 'volume/<seriesId>'. */
  'volume.info': {
    input: z.object({ seriesId: idSchema }).strict(),
    output: z.object({
      seriesId: idSchema,
      modality: z.string(),
      ...volumeGeometrySchema.shape,
      dtype: voxelDtypeSchema,
      valueRange: z.tuple([z.number(), z.number()]),
      geometry: geometryReportSchema,
    }),
  },
  /** Segmentations stored for a series; each one's label map comes from binary 'labelmap/<segmentationId>'. */
  'segmentations.list': {
    input: z.object({ seriesId: idSchema }).strict(),
    output: z.object({ segmentations: z.array(segmentationInfoSchema) }),
  },
  /** Reads a NIfTI label map, resamples it onto the series grid through patient space, stores it as a segmentation (source 'import'). */
  'segmentations.addFromNifti': {
    input: z.object({ seriesId: idSchema, path: localPath, labelTablePath: localPath.optional(), name: z.string().max(200).optional() }).strict(),
    /** warnings: how the map was placed on the series (resampled, partial cover, cropped) and the file's own geometry findings. */
    output: segmentationInfoSchema.extend({ warnings: z.array(z.object({ code: z.string(), message: z.string() })) }),
  },
  ...editMethods,
  ...exportMethods,
  ...analysisMethods,
  ...modelMethods,
  ...planningMethods,
  ...timelineMethods,
  ...progressiveMethods,
  ...annotationMethods,
  ...bodycompMethods,
} as const;

export type MethodName = keyof typeof methods;
export type MethodInput<M extends MethodName> = z.infer<(typeof methods)[M]['input']>;
export type MethodOutput<M extends MethodName> = z.infer<(typeof methods)[M]['output']>;
export type PatientNode = z.infer<typeof patientNodeSchema>;
export type SeriesNode = z.infer<typeof seriesNodeSchema>;
export type SegmentationInfo = z.infer<typeof segmentationInfoSchema>;
export type VolumeInfo = MethodOutput<'volume.info'>;
export type { VoxelDtype } from '../domain/dtypes.js';

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}

/** Events pushed from the services to the UI (Electron: webContents.send; HTTP: server-sent events). */
export const events = {
  'import.progress': z.object({ filesDone: z.number().int(), filesTotal: z.number().int(), path: z.string().optional() }),
  ...analysisEvents,
} as const;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.infer<(typeof events)[E]>;

/** Binary resources: raw little-endian arrays, keyed by id. URL path `/data/<kind>/<id>` in both adapters. */
/** thumbnail: 64×64 uint8 grey image of a series (id = seriesId). */
/** labelmap-preview: a classical tool's transient result (id = previewId from classical.preview). */
/** mesh-vertices (float32 LPS mm) and mesh-triangles (uint32): a label surface (id = meshId from planning.mesh). */
/** volume-slice: one axial slice k of a series being opened (id = seriesId, `?k=K`; see volume.open). */
export const BINARY_KINDS = ['volume', 'labelmap', 'thumbnail', 'labelmap-preview', 'mesh-vertices', 'mesh-triangles', 'volume-slice'] as const;
export type BinaryKind = (typeof BINARY_KINDS)[number];

/**
 * Inclusive voxel box of a label map, for fetching only the region an edit changed:
 * `/data/labelmap/<id>?box=i0,j0,k0,i1,j1,k1` (labels inside the box, i fastest).
 */
export type BinaryBox = z.infer<typeof voxelBoxSchema>;

export function binaryPath(kind: BinaryKind, resourceId: number, box?: BinaryBox, sliceK?: number): string {
  if (sliceK !== undefined) return `/data/${kind}/${resourceId}?k=${sliceK}`;
  return `/data/${kind}/${resourceId}${box ? `?box=${[...box.minIjk, ...box.maxIjk].join(',')}` : ''}`;
}

export function parseBinaryPath(pathname: string, search = ''): { kind: BinaryKind; resourceId: number; box?: BinaryBox; sliceK?: number } | null {
  const m = new RegExp(`^/data/(${BINARY_KINDS.join('|')})/([1-9][0-9]{0,15})$`).exec(pathname);
  if (!m) return null;
  const target = { kind: m[1] as BinaryKind, resourceId: Number(m[2]) };
  if (target.kind === 'volume-slice') {
    // a slice needs its index; nothing else is accepted
    const k = /^\?k=(0|[1-9][0-9]{0,5})$/.exec(search);
    return k ? { ...target, sliceK: Number(k[1]) } : null;
  }
  if (search === '' || search === '?') return target;
  const b = /^\?box=(\d{1,6}),(\d{1,6}),(\d{1,6}),(\d{1,6}),(\d{1,6}),(\d{1,6})$/.exec(search);
  if (!b || target.kind !== 'labelmap') return null;
  const n = b.slice(1).map(Number);
  return { ...target, box: { minIjk: [n[0], n[1], n[2]], maxIjk: [n[3], n[4], n[5]] } };
}

/** The reply envelope every adapter returns: errors as data. */
export const errorDataSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });
export type RpcReply<T> = { ok: true; result: T } | { ok: false; error: z.infer<typeof errorDataSchema> };
