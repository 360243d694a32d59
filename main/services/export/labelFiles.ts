// Label map files: NIfTI (+ a JSON sidecar holding the label table next to medseg's geometry record) and Slicer's
// .seg.nrrd. Both are written atomically and read back by medseg with identical voxels.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { requirePhysicalUnits } from '../../../shared/domain/geometryGate.js';
import { AppError } from '../../../shared/errors.js';
import { writeNifti } from '../nifti/nifti.js';
import { sidecarPathOf } from '../nifti/niftiGeometry.js';
import { writeFileAtomic } from './atomicWrite.js';
import { LABEL_TABLE_SIDECAR_KEY, type ExportContext } from './context.js';
import type { ExportFormatHandler } from './formats.js';
import { encodeSegNrrd } from './segNrrd.js';

function provenanceRecord(ctx: ExportContext): Record<string, unknown> {
  const p = ctx.provenance;
  return {
    labelsFrom: p.labelsFrom,
    ...(p.labelsPath ? { labelsPath: p.labelsPath } : {}),
    ...(p.segmentationId !== undefined ? { segmentationId: p.segmentationId, labelMapVersion: p.labelMapVersion } : {}),
    source: p.source,
    ...(p.model ? { model: p.model } : {}),
    sourceSeries: ctx.source.study?.seriesInstanceUid ?? ctx.source.label,
  };
}

export const niftiLabelFormat: ExportFormatHandler = {
  summary: 'NIfTI label map with a JSON sidecar (label table, geometry status, provenance)',
  extension: '.nii.gz',
  async write(ctx, req) {
    if (!/\.nii(\.gz)?$/i.test(req.outPath)) throw new AppError('INVALID_INPUT', `${req.outPath}: a NIfTI export ends in .nii or .nii.gz.`);
    // the file carries mm geometry: the same gate as convert
    requirePhysicalUnits(ctx.source.geometry, 'A NIfTI label map export');
    const { labelMap } = ctx;
    const tag = randomBytes(6).toString('hex');
    const ext = /\.nii\.gz$/i.test(req.outPath) ? '.nii.gz' : '.nii';
    const tmp = join(dirname(req.outPath), `.${basename(req.outPath, ext)}.${tag}.tmp${ext}`);
    const tmpSidecar = sidecarPathOf(tmp);
    const sidecar = sidecarPathOf(req.outPath);
    try {
      await writeNifti(tmp, { ...labelMap, voxels: labelMap.labels }, { labels: true, geometry: ctx.source.geometry, description: 'medseg label map' });
      const record = JSON.parse(await readFile(tmpSidecar, 'utf8')) as Record<string, unknown>;
      record[LABEL_TABLE_SIDECAR_KEY] = labelMap.table.map((l) => ({ value: l.value, name: l.name, colorRgb: l.colorRgb, kind: l.kind }));
      record.MedsegProvenance = provenanceRecord(ctx);
      await writeFileAtomic(tmpSidecar, JSON.stringify(record, null, 2) + '\n');
      await rename(tmp, req.outPath);
      await rename(tmpSidecar, sidecar);
    } catch (err) {
      await rm(tmp, { force: true });
      await rm(tmpSidecar, { force: true });
      if (err instanceof AppError) throw err;
      throw new AppError('IO_ERROR', `${req.outPath}: cannot write the NIfTI export (${(err as Error).message}).`);
    }
    const bytes = (await readFile(req.outPath)).byteLength + (await readFile(sidecar)).byteLength;
    return { format: 'nifti', files: [req.outPath, sidecar], bytes, notes: [] };
  },
};

export const segNrrdFormat: ExportFormatHandler = {
  summary: '3D Slicer segmentation (.seg.nrrd), LPS, one Segment{N} key group per label',
  extension: '.seg.nrrd',
  async write(ctx, req) {
    requirePhysicalUnits(ctx.source.geometry, 'A .seg.nrrd export');
    const { labelMap } = ctx;
    const bytes = encodeSegNrrd(labelMap, labelMap.labels, labelMap.table, {
      referencedSeriesUid: ctx.source.study?.seriesInstanceUid,
      geometryStatus: ctx.source.geometry.status,
    });
    const written = await writeFileAtomic(req.outPath, bytes);
    return { format: 'seg.nrrd', files: [req.outPath], bytes: written, notes: [] };
  },
};
