// annotations.* of the method table (shared/ipc/contract-annotations.ts): reading annotations of a series, computed
// on the series' own grid and voxels (modality units) and stored per series. mm, mm² and degrees pass the one
// geometry gate (shared/domain/geometryGate.ts): on an unsafe grid the figure is null and the note says why.
import type { Database } from 'better-sqlite3';
import type { AnnotationResult, annotationMethods } from '../../shared/ipc/contract-annotations.js';
import { ANNOTATION_COMPUTATION_VERSION, angleDegrees, intensityUnitOf, roiStats } from '../../shared/domain/reading/annotations.js';
import { rulerLengthMm } from '../../shared/domain/reading/ruler.js';
import { physicalUnitsAllowed, unsafeReasons } from '../../shared/domain/geometryGate.js';
import { ijkToLps, type Vec3 } from '../../shared/domain/volume.js';
import { AppError } from '../../shared/errors.js';
import { getSeriesRecord } from '../db/catalog.js';
import { deleteAnnotation, listAnnotations, saveAnnotation } from '../db/annotations.js';
import { loadSeriesVolume } from '../services/series/volumes.js';
import type { MethodImpls } from './types.js';

type AnnotationMethodName = keyof typeof annotationMethods;

export { ANNOTATION_COMPUTATION_VERSION };

const POINT_COUNT: Record<string, [number, number]> = { ruler: [2, 2], angle: [3, 3], ellipse: [2, 2], freehand: [3, 2000], text: [1, 1] };

export function createAnnotationService(deps: { db: Database }): { methods: Pick<MethodImpls, AnnotationMethodName> } {
  const { db } = deps;
  const methods: Pick<MethodImpls, AnnotationMethodName> = {
    'annotations.create': async ({ seriesId, kind, pointsIjk, text }) => {
      const series = getSeriesRecord(db, seriesId);
      const [lo, hi] = POINT_COUNT[kind]!;
      if (pointsIjk.length < lo || pointsIjk.length > hi)
        throw new AppError('INVALID_INPUT', `A ${kind} annotation takes ${lo === hi ? lo : `${lo} to ${hi}`} points, not ${pointsIjk.length}.`);
      if (kind === 'text' && !text) throw new AppError('INVALID_INPUT', 'A text annotation needs its text.');
      const margin = 0.5;
      for (const p of pointsIjk)
        if (p.some((c, a) => !Number.isFinite(c) || c < -margin || c > series.dims[a]! - 1 + margin))
          throw new AppError('INVALID_INPUT', `Point [${p.join(', ')}] lies outside the series grid ${series.dims.join('×')}.`);
      const report = series.geometry;
      const pts = pointsIjk as Vec3[];
      const result: AnnotationResult = {};
      if (!physicalUnitsAllowed(report) && kind !== 'text') result.note = `No mm or degrees: the volume geometry is unsafe (${unsafeReasons(report)}).`;
      if (kind === 'ruler') result.lengthMm = rulerLengthMm(series, report, pts[0]!, pts[1]!);
      if (kind === 'angle') result.angleDeg = angleDegrees(series, report, pts[0]!, pts[1]!, pts[2]!);
      if (kind === 'ellipse' || kind === 'freehand') {
        const { volume } = await loadSeriesVolume(db, seriesId);
        const shape = kind === 'ellipse' ? { kind, cornersIjk: [pts[0]!, pts[1]!] as [Vec3, Vec3] } : { kind, pointsIjk: pts };
        let stats;
        try {
          stats = roiStats(volume, report, shape);
        } catch (e) {
          if (e instanceof RangeError) throw new AppError('INVALID_INPUT', e.message);
          throw e;
        }
        result.roi = { ...stats, unit: intensityUnitOf(series.modality) };
      }
      return saveAnnotation(db, {
        seriesId,
        kind,
        pointsIjk: pts,
        pointsLps: pts.map((p) => ijkToLps(series, p)),
        text: text ?? null,
        computationVersion: ANNOTATION_COMPUTATION_VERSION,
        result,
      });
    },
    'annotations.list': async ({ seriesId }) => {
      getSeriesRecord(db, seriesId); // NOT_FOUND for an unknown series rather than an empty list
      return { annotations: listAnnotations(db, seriesId) };
    },
    'annotations.delete': async ({ annotationId }) => ({ deleted: deleteAnnotation(db, annotationId) }),
  };
  return { methods };
}
