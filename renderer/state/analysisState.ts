// UI state shared by the analysis panels and the viewer: the id of the classical-tool preview shown, the point the
// views should jump to, and who receives voxel picks (the region-grow seed tool). Ids and flags only.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Vec3 } from '../../shared/domain/volume.js';
import type { PreviewOverlay, RecistOverlay, ViewerAnalysisHooks } from '../viewer/analysisLayers.js';

export interface AnalysisState {
  viewerHooks: ViewerAnalysisHooks;
  preview: PreviewOverlay | null;
  setPreview(p: PreviewOverlay | null): void;
  jumpTo(lps: Vec3): void;
  /** Shows a lesion: jumps to the middle of its long axis (its RECIST slice) and draws its axes; null clears them. */
  showLesion(recist: RecistOverlay | null): void;
  /** The one receiver of view clicks as voxel picks (null: clicks only move the crosshair). */
  setPickListener(listener: ((ijk: Vec3) => void) | null): void;
}

export function useAnalysisState(seriesId: number | null): AnalysisState {
  const [preview, setPreview] = useState<PreviewOverlay | null>(null);
  const [jump, setJump] = useState<{ lps: Vec3; seq: number } | null>(null);
  const [recist, setRecist] = useState<RecistOverlay | null>(null);
  const pickListener = useRef<((ijk: Vec3) => void) | null>(null);

  // A preview belongs to one series; a jump target too.
  useEffect(() => {
    setPreview(null);
    setJump(null);
    setRecist(null);
  }, [seriesId]);

  const jumpTo = useCallback((lps: Vec3) => setJump((j) => ({ lps, seq: (j?.seq ?? 0) + 1 })), []);
  const showLesion = useCallback(
    (r: RecistOverlay | null) => {
      setRecist(r);
      if (!r) return;
      const [a, b] = r.longLps;
      // The long axis' midpoint lies on the RECIST slice, so the axial view lands on the slice the axes are drawn on.
      jumpTo([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2]);
    },
    [jumpTo],
  );
  const setPickListener = useCallback((l: ((ijk: Vec3) => void) | null) => {
    pickListener.current = l;
  }, []);
  const viewerHooks = useMemo<ViewerAnalysisHooks>(
    () => ({ preview, jumpTo: jump, recist, onPickVoxel: (ijk) => pickListener.current?.(ijk) }),
    [preview, jump, recist],
  );
  return { viewerHooks, preview, setPreview, jumpTo, showLesion, setPickListener };
}
