// Imports DICOM SEG and .seg.nrrd files as stored segmentations of the catalog series they belong to: a SEG by the
// series (or instances) it references, a .seg.nrrd by the series its header names, else by the grid it lies on.
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import { allSeriesGrids, seriesGridsByUid, seriesUidOfInstance, type SeriesGridRow } from '../../db/exchange.js';
import { saveSegmentation } from '../../db/segmentations.js';
import { derivedUid } from '../export/uids.js';
import { readDicomSeg } from './dicomSegRead.js';
import { planeFit, placeSegments, type ImportedPlane, type ImportedSegment } from './placeSegments.js';

export interface ImportedSegmentationSummary {
  path: string;
  format: 'dicom-seg' | 'seg.nrrd';
  seriesId: number;
  segmentationIds: number[];
  segments: { value: number; name: string; voxels: number; segmentationId: number }[];
  notes: string[];
}

/** Catalog series whose stand-in UID (files with blank UIDs) medseg's exports wrote as a derived 2.25 UID. */
function seriesByDerivedUid(db: Database, uid: string): SeriesGridRow[] {
  return allSeriesGrids(db).filter((s) => s.seriesInstanceUid.startsWith('medseg-') && derivedUid(`medseg:${s.seriesInstanceUid}`) === uid);
}

/** The stack the planes fit best (most pixels inside, then least off-centre); refuses when none holds a pixel. */
function bestFit(candidates: SeriesGridRow[], planes: ImportedPlane[], what: string): SeriesGridRow {
  let best: { row: SeriesGridRow; inside: number; off: number } | undefined;
  for (const row of candidates) {
    const fit = planeFit(planes, row);
    if (!best || fit.inside > best.inside || (fit.inside === best.inside && fit.maxOffVoxel < best.off))
      best = { row, inside: fit.inside, off: fit.maxOffVoxel };
  }
  if (!best || best.inside === 0) throw new AppError('NOT_FOUND', `${what}: none of its voxels lies in the series it belongs to.`);
  return best.row;
}

function store(
  db: Database,
  path: string,
  format: ImportedSegmentationSummary['format'],
  target: SeriesGridRow,
  planes: ImportedPlane[],
  segments: ImportedSegment[],
  name: string,
  notes: string[],
  params: Record<string, unknown>,
): ImportedSegmentationSummary {
  const placed = placeSegments(planes, segments, target);
  const allNotes = [...notes, ...placed.notes];
  const ids = placed.layers.map((labelMap, layer) =>
    saveSegmentation(db, {
      seriesId: target.seriesId,
      source: 'import',
      name: placed.layers.length > 1 ? `${name} (map ${layer + 1} of ${placed.layers.length})` : name,
      labelMap,
      params: { ...params, format, path, notes: allNotes },
    }),
  );
  return {
    path,
    format,
    seriesId: target.seriesId,
    segmentationIds: ids,
    segments: placed.segments.map((s) => ({ value: s.value, name: s.name, voxels: s.voxels, segmentationId: ids[s.layer] })),
    notes: allNotes,
  };
}

export async function importDicomSeg(db: Database, bytes: Uint8Array, path: string): Promise<ImportedSegmentationSummary> {
  const seg = await readDicomSeg(bytes, path);
  const candidates = new Map<number, SeriesGridRow>();
  const add = (rows: SeriesGridRow[]) => rows.forEach((r) => candidates.set(r.seriesId, r));
  for (const uid of seg.referencedSeriesUids) {
    add(seriesGridsByUid(db, uid));
    if (uid.startsWith('2.25.')) add(seriesByDerivedUid(db, uid));
  }
  if (candidates.size === 0) {
    for (const sop of seg.referencedInstanceUids) {
      const uid = seriesUidOfInstance(db, sop);
      if (uid) add(seriesGridsByUid(db, uid));
    }
  }
  if (candidates.size === 0) {
    throw new AppError(
      'NOT_FOUND',
      `${path}: the series this SEG references (${seg.referencedSeriesUids.join(', ') || 'none named'}) is not in the catalog: import the images first, or together with the SEG.`,
    );
  }
  const target = bestFit([...candidates.values()], seg.planes, path);
  return store(db, path, 'dicom-seg', target, seg.planes, seg.segments, seg.seriesDescription || 'DICOM SEG', seg.notes, {
    sopInstanceUid: seg.sopInstanceUid,
    segmentationType: seg.segmentationType,
  });
}

/** A label map file's planes and segments, and the series it names (if any): see segNrrd.ts. */
export interface PlanesToImport {
  planes: ImportedPlane[];
  segments: ImportedSegment[];
  referencedSeriesUid?: string;
  name: string;
  notes: string[];
}

/** Imports planes that may name their series; otherwise the one catalog series whose grid holds all of them. */
export function importPlanes(db: Database, path: string, format: ImportedSegmentationSummary['format'], p: PlanesToImport): ImportedSegmentationSummary {
  let candidates: SeriesGridRow[] = [];
  if (p.referencedSeriesUid) {
    candidates = seriesGridsByUid(db, p.referencedSeriesUid);
    if (candidates.length === 0 && p.referencedSeriesUid.startsWith('2.25.')) candidates = seriesByDerivedUid(db, p.referencedSeriesUid);
  }
  if (candidates.length === 0) {
    // no series named (a foreign .seg.nrrd): only a series the map lies on exactly, voxel centre on voxel centre
    candidates = allSeriesGrids(db).filter((row) => {
      const fit = planeFit(p.planes, row);
      return fit.outside === 0 && fit.inside > 0 && fit.maxOffVoxel < 1e-3;
    });
    if (candidates.length > 1) {
      throw new AppError(
        'CONFLICT',
        `${path}: its grid matches ${candidates.length} series (${candidates.map((c) => c.seriesId).join(', ')}); it names none of them.`,
      );
    }
  }
  if (candidates.length === 0) {
    throw new AppError(
      'NOT_FOUND',
      `${path}: no series in the catalog ${p.referencedSeriesUid ? `has UID ${p.referencedSeriesUid}` : 'has the grid this label map lies on'}: import its images first.`,
    );
  }
  return store(db, path, format, bestFit(candidates, p.planes, path), p.planes, p.segments, p.name, p.notes, {});
}
