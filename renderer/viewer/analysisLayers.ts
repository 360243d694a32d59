// What the analysis panels ask of the viewer: a classical tool's transient preview drawn as one more label layer
// (fetched as binary 'labelmap-preview/<id>'), a jump of the three views to an LPS point, a lesion's RECIST axes,
// and voxel picks (seeds).
import { useEffect, useMemo, useState } from 'react';
import { api } from '../api.js';
import type { SegmentationInfo } from '../../shared/ipc/contract.js';
import type { LabelInfo } from '../../shared/domain/labelMap.js';
import { lpsToIjk, type Vec3 } from '../../shared/domain/volume.js';
import type { ViewerLabelMap, ViewerVolume } from './volumeStore.js';
import type { RecistOverlay } from './recistAxes.js';

export type { RecistOverlay } from './recistAxes.js';

export interface PreviewOverlay {
  previewId: number;
  seriesId: number;
  labels: LabelInfo[];
}

export interface ViewerAnalysisHooks {
  preview: PreviewOverlay | null;
  /** Bump `seq` to jump again to the same point. */
  jumpTo: { lps: Vec3; seq: number } | null;
  /** RECIST axes of the lesion picked in the measure panel (drawn on the views showing their slice). */
  recist?: RecistOverlay | null;
  onPickVoxel?(ijk: Vec3): void;
}

/** The voxel nearest an LPS point, clamped to the grid. */
export function nearestVoxel(vol: ViewerVolume, lps: Vec3): Vec3 {
  const f = lpsToIjk(vol.info, lps);
  return f.map((x, a) => Math.min(vol.info.dims[a] - 1, Math.max(0, Math.round(x)))) as Vec3;
}

async function loadPreview(p: PreviewOverlay, expectedVoxels: number): Promise<ViewerLabelMap> {
  const bin = await api.fetchBinary('labelmap-preview', p.previewId);
  if (bin.dtype !== 'uint8') throw new Error(`preview ${p.previewId}: unexpected dtype ${bin.dtype}`);
  const labels = new Uint8Array(bin.buffer);
  if (labels.length !== expectedVoxels) throw new Error(`preview ${p.previewId} does not match the series grid`);
  // A negative id keeps the overlay caches of previews apart from stored segmentations (and from each other).
  const summary: SegmentationInfo = {
    segmentationId: -p.previewId,
    seriesId: p.seriesId,
    name: 'preview',
    source: 'classical',
    createdAt: '',
    labels: p.labels,
  };
  return { summary, labels };
}

/**
 * The label layers to draw (stored maps, then the preview on top) and the jump effect. Called by Viewer before
 * any early return (hooks order).
 */
export function useAnalysisLayers(
  hooks: ViewerAnalysisHooks | undefined,
  vol: ViewerVolume | null,
  loadedMaps: ViewerLabelMap[],
  setCrosshair: (ijk: Vec3) => void,
  onStatus: (text: string) => void,
): ViewerLabelMap[] {
  const [preview, setPreview] = useState<ViewerLabelMap | null>(null);
  const wanted = hooks?.preview ?? null;
  useEffect(() => {
    if (!vol || !wanted || wanted.seriesId !== vol.info.seriesId) {
      setPreview(null);
      return;
    }
    let alive = true;
    loadPreview(wanted, vol.info.dims[0] * vol.info.dims[1] * vol.info.dims[2]).then(
      (p) => alive && setPreview(p),
      (err: unknown) => alive && onStatus(`Preview not shown: ${err instanceof Error ? err.message : String(err)}`),
    );
    return () => {
      alive = false;
    };
  }, [vol, wanted, onStatus]);

  const jump = hooks?.jumpTo ?? null;
  useEffect(() => {
    if (vol && jump && vol.info.geometry.status !== 'unsafe') setCrosshair(nearestVoxel(vol, jump.lps));
    // setCrosshair is a state setter (stable); the jump's seq is what asks for a new jump.
  }, [vol, jump?.seq]);

  return useMemo(() => (preview ? [...loadedMaps, preview] : loadedMaps), [loadedMaps, preview]);
}
