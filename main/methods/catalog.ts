// The catalog entries of the method table: app info, the study tree, import, the native picker, volume info and
// label maps added from NIfTI files; plus the binary volume and thumbnail resources of a series.
import { stat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import { bytesOf, dtypeOf } from '../../shared/domain/dtypes.js';
import type { LabelMap } from '../../shared/domain/labelMap.js';
import { labelTableFor, parseLabelTable } from '../../shared/domain/labelTable.js';
import { sameGrid, type VolumeGeometry, type VoxelArray } from '../../shared/domain/volume.js';
import { resampleLabelMapNearest } from '../../shared/domain/resample.js';
import { labelMapPlacement, requirePlaceableLabelMap } from '../../shared/domain/geometryGate.js';
import { listCatalog, getSeriesRecord, type SeriesNode } from '../db/catalog.js';
import { importPaths } from '../services/catalog/importer.js';
import { loadSeriesVolume } from '../services/series/volumes.js';
import { readNiftiLabels } from '../services/nifti/nifti.js';
import { seriesThumbnail } from '../services/series/thumbnails.js';
import { listSegmentations, saveSegmentation, type SegmentationSummary } from '../db/segmentations.js';
import type { BinaryResource, MethodImpls, ServiceDeps } from './types.js';

type CatalogMethodName =
  'app.info' | 'catalog.list' | 'import.paths' | 'dialog.pickPaths' | 'volume.info' | 'segmentations.list' | 'segmentations.addFromNifti';

export interface CatalogService {
  methods: Pick<MethodImpls, CatalogMethodName>;
  /** The series' voxels as stored (modality units). */
  readVolume(seriesId: number): Promise<BinaryResource>;
  /** The series' thumbnail (8-bit, square), made once per series. */
  readThumbnail(seriesId: number): Promise<BinaryResource>;
}

export function createCatalogService(deps: ServiceDeps): CatalogService {
  const { db } = deps;
  const rangeCache = new WeakMap<object, [number, number]>();
  const methods: Pick<MethodImpls, CatalogMethodName> = {
    'app.info': async () => ({ name: 'medseg', version: deps.appVersion, mode: deps.mode, canPickPaths: !!deps.pickPaths }),

    'catalog.list': async () => ({
      patients: listCatalog(db).map((p) => ({
        patientId: p.patientId,
        name: p.name,
        studies: p.studies.map((s) => ({
          studyInstanceUid: s.studyInstanceUid,
          description: s.description,
          date: s.studyDate ?? null,
          series: s.series.map(seriesWire),
        })),
      })),
    }),

    'import.paths': async ({ paths }, ctx) => {
      for (const p of paths) await requireReadablePath(p);
      const summary = await importPaths(db, paths, {
        signal: ctx.signal,
        onProgress: (p) => ctx.emit('import.progress', { filesDone: p.filesDone, filesTotal: p.filesTotal, path: p.path }),
      });
      return {
        filesSeen: summary.filesTotal,
        seriesIds: summary.series.map((s) => s.seriesId),
        problems: [
          ...summary.errors.map((e) => ({ path: e.path, code: e.code, message: e.message })),
          ...summary.skipped.map((s) => ({ path: s.path, code: 'SKIPPED', message: s.reason })),
        ],
      };
    },

    'dialog.pickPaths': async ({ kind }) => {
      if (!deps.pickPaths) throw new AppError('INVALID_INPUT', 'No native file picker in this mode: type or drop a path.');
      return { paths: await deps.pickPaths(kind) };
    },

    'volume.info': async ({ seriesId }) => {
      const loaded = await loadSeriesVolume(db, seriesId);
      const v = loaded.volume;
      let range = rangeCache.get(v.voxels);
      if (!range) {
        range = valueRange(v.voxels);
        rangeCache.set(v.voxels, range);
      }
      return {
        seriesId,
        modality: loaded.modality,
        dims: v.dims,
        spacingMm: v.spacingMm,
        originLps: v.originLps,
        directionLps: v.directionLps,
        dtype: dtypeOf(v.voxels),
        valueRange: range,
        geometry: loaded.geometry,
      };
    },

    'segmentations.list': async ({ seriesId }) => {
      getSeriesRecord(db, seriesId); // NOT_FOUND for an unknown series rather than an empty list
      return { segmentations: listSegmentations(db, seriesId).map(segmentationInfo) };
    },

    'segmentations.addFromNifti': async ({ seriesId, path: niftiPath, labelTablePath, name }) => {
      await requireReadablePath(niftiPath, 'file');
      if (labelTablePath) await requireReadablePath(labelTablePath, 'file');
      const table = labelTablePath ? parseLabelTable(await readFile(labelTablePath, 'utf8')) : null;
      const series = getSeriesRecord(db, seriesId);
      const src = await readNiftiLabels(niftiPath);
      const target: VolumeGeometry = { dims: series.dims, spacingMm: series.spacingMm, originLps: series.originLps, directionLps: series.directionLps };
      // Every target voxel centre is mapped through patient space (LPS) into the file's grid (a copy when identical).
      requirePlaceableLabelMap(src.geometryReport, !sameGrid(src, target, 1e-3));
      const placement = labelMapPlacement(src, target);
      const { geometryReport: fileGeometry, ...srcGrid } = src;
      const onGrid: LabelMap = { ...resampleLabelMapNearest(srcGrid, target), table: [] };
      onGrid.table = labelTableFor(onGrid.labels, { rows: table });
      const id = saveSegmentation(db, {
        seriesId,
        source: 'import',
        name: name ?? path.basename(niftiPath).replace(/\.nii(\.gz)?$/i, ''),
        labelMap: onGrid,
        params: { file: niftiPath, labelTable: labelTablePath ?? null, resampled: !sameGrid(src, target, 1e-3) },
      });
      const saved = listSegmentations(db, seriesId).find((s) => s.id === id);
      if (!saved) throw new AppError('INTERNAL', `segmentation ${id} vanished after saving`);
      // Placement (resampled, partial cover, no overlap, cropped) and what the file cannot vouch for (e.g. no orientation).
      const warnings = [...placement.warnings, ...fileGeometry.findings].map((w) => ({ code: w.code, message: w.message }));
      return { ...segmentationInfo(saved), warnings };
    },
  };

  const thumbnails = new Map<number, Promise<Uint8Array>>();
  const readThumbnail = async (seriesId: number): Promise<BinaryResource> => {
    let job = thumbnails.get(seriesId);
    if (!job) {
      job = seriesThumbnail(db, seriesId);
      thumbnails.set(seriesId, job);
      job.catch(() => thumbnails.delete(seriesId));
    }
    return { bytes: await job, dtype: 'uint8' };
  };
  const readVolume = async (seriesId: number): Promise<BinaryResource> => {
    const { volume } = await loadSeriesVolume(db, seriesId);
    return { bytes: bytesOf(volume.voxels), dtype: dtypeOf(volume.voxels) };
  };
  return { methods, readVolume, readThumbnail };
}

function seriesWire(s: SeriesNode) {
  return {
    seriesId: s.seriesId,
    seriesInstanceUid: s.seriesInstanceUid,
    seriesNumber: s.seriesNumber ?? null,
    modality: s.modality,
    description: s.description,
    dims: s.dims,
    spacingMm: s.spacingMm,
    instanceCount: s.instanceCount,
    geometry: s.geometry,
  };
}

function segmentationInfo(s: SegmentationSummary): SegmentationInfo {
  return { segmentationId: s.id, seriesId: s.seriesId, name: s.name, source: s.source, createdAt: s.createdAt, labels: s.labels };
}

/** Import paths must exist; they are only ever read. */
async function requireReadablePath(p: string, want?: 'file'): Promise<void> {
  if (!path.isAbsolute(p)) throw new AppError('INVALID_INPUT', `Path must be absolute: ${p}`);
  const info = await stat(p).catch(() => null);
  if (!info) throw new AppError('NOT_FOUND', `No such file or folder: ${p}`);
  if (want === 'file' && !info.isFile()) throw new AppError('INVALID_INPUT', `Not a file: ${p}`);
}

function valueRange(a: VoxelArray): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let n = 0; n < a.length; n++) {
    const v = a[n];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return a.length ? [lo, hi] : [0, 0];
}
