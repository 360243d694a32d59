// A .seg.nrrd as planes for importLabels: each slice of each layer, its segments keyed by their index.
import { readFile } from 'node:fs/promises';
import type { Database } from 'better-sqlite3';
import { ijkToLps, type Vec3 } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { decodeSegNrrd, type SegNrrd } from '../export/segNrrd.js';
import { importPlanes, type ImportedSegmentationSummary, type PlanesToImport } from './importLabels.js';
import type { ImportedPlane, ImportedSegment } from './placeSegments.js';

export function isSegNrrdPath(p: string): boolean {
  return /\.nrrd$/i.test(p);
}

/** Planes (one per slice and layer, keyed 1.. by segment) and segments of a decoded .seg.nrrd. */
export function segNrrdPlanes(nrrd: SegNrrd, name: string): PlanesToImport {
  const [nx, ny, nz] = nrrd.dims;
  const segments: ImportedSegment[] = nrrd.segments.map((s, n) => ({ value: s.value, name: s.name, colorRgb: s.colorRgb, kind: s.kind, key: n + 1 }));
  const keyOf = nrrd.layers.map((_, layer) => {
    const m = new Map<number, number>();
    nrrd.segments.forEach((s, n) => {
      if (s.layer === layer) m.set(s.value, n + 1);
    });
    return m;
  });
  const colStep = nrrd.directionLps[0].map((x) => x * nrrd.spacingMm[0]) as Vec3;
  const rowStep = nrrd.directionLps[1].map((x) => x * nrrd.spacingMm[1]) as Vec3;
  const planes: ImportedPlane[] = [];
  const notes: string[] = [];
  let unnamed = 0;
  nrrd.layers.forEach((labels, layer) => {
    for (let k = 0; k < nz; k++) {
      const keys = new Uint16Array(nx * ny);
      let any = false;
      for (let p = 0; p < keys.length; p++) {
        const v = labels[k * nx * ny + p];
        if (v === 0) continue;
        const key = keyOf[layer].get(v);
        if (key === undefined) {
          unnamed++;
          continue;
        }
        keys[p] = key;
        any = true;
      }
      if (any) planes.push({ originLps: ijkToLps(nrrd, [0, 0, k]), colStepLps: colStep, rowStepLps: rowStep, columns: nx, rows: ny, keys });
    }
  });
  if (unnamed > 0) notes.push(`${unnamed} voxels carry a value no segment names: left out.`);
  if (nrrd.geometryStatus && nrrd.geometryStatus !== 'ok') notes.push(`The file records geometry status ${nrrd.geometryStatus}.`);
  return { planes, segments, referencedSeriesUid: nrrd.referencedSeriesUid, name, notes };
}

export async function importSegNrrdFile(db: Database, path: string): Promise<ImportedSegmentationSummary> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new AppError('IO_ERROR', `${path}: cannot read (${(err as Error).message}).`);
  }
  const nrrd = decodeSegNrrd(bytes, path);
  const base = path.split(/[\\/]/).pop() ?? path;
  return importPlanes(db, path, 'seg.nrrd', segNrrdPlanes(nrrd, base.replace(/\.seg\.nrrd$|\.nrrd$/i, '')));
}
