// Progressive opening of a series (shared/ipc/contract-progressive.ts): the grid at once (from the catalog, or from the
// headers when the catalog cannot place the slices), then each slice as soon as the one volume build has decoded it.
// Measurements and models keep using the complete volume.
import type { Database } from 'better-sqlite3';
import { bytesOf, dtypeOf } from '../../shared/domain/dtypes.js';
import { openSeriesProgressively } from '../services/series/volumes.js';
import type { BinaryResource, MethodImpls } from './types.js';

export type ProgressiveMethodName = 'volume.open';

export interface ProgressiveService {
  methods: Pick<MethodImpls, ProgressiveMethodName>;
  /** Slice k of a series' volume (i fastest), answered once that slice is decoded. */
  readVolumeSlice(seriesId: number, k: number): Promise<BinaryResource>;
}

export function createProgressiveService(db: Database): ProgressiveService {
  const methods: Pick<MethodImpls, ProgressiveMethodName> = {
    'volume.open': async ({ seriesId }) => {
      const { build } = await openSeriesProgressively(db, seriesId);
      const { grid } = build;
      return {
        seriesId,
        modality: grid.modality,
        dims: [...grid.dims],
        spacingMm: [...grid.spacingMm],
        originLps: [...grid.originLps],
        directionLps: [[...grid.directionLps[0]], [...grid.directionLps[1]], [...grid.directionLps[2]]],
        geometry: grid.geometry,
        progressive: build.progressive,
        sliceOrder: build.sliceOrder,
        slicesReady: build.slicesReady,
      };
    },
  };
  const readVolumeSlice = async (seriesId: number, k: number): Promise<BinaryResource> => {
    const { build } = await openSeriesProgressively(db, seriesId);
    const slice = await build.slice(k);
    return { bytes: bytesOf(slice), dtype: dtypeOf(slice) };
  };
  return { methods, readVolumeSlice };
}
