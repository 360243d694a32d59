// UI state shared by the analysis panels and the viewer: the id of the classical-tool preview shown, the point the
// views should jump to, and who receives voxel picks (the region-grow seed tool). Ids and flags only.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Vec3 } from '../../shared/domain/volume.js';
import type { PreviewOverlay, ViewerAnalysisHooks } from '../viewer/analysisLayers.js';

export interface AnalysisState {
  viewerHooks: ViewerAnalysisHooks;
  preview: PreviewOverlay | null;
  setPreview(p: PreviewOverlay | null): void;
  jumpTo(lps: Vec3): void;
  /** The one receiver of view clicks as voxel picks (null: clicks only move the crosshair). */
  setPickListener(listener: ((ijk: Vec3) => void) | null): void;
}

export function useAnalysisState(seriesId: number | null): AnalysisState {
  const [preview, setPreview] = useState<PreviewOverlay | null>(null);
  const [jump, setJump] = useState<{ lps: Vec3; seq: number } | null>(null);
  const pickListener = useRef<((ijk: Vec3) => void) | null>(null);

  // A preview belongs to one series; a jump target too.
  useEffect(() => {
    setPreview(null);
    setJump(null);
  }, [seriesId]);

  const jumpTo = useCallback((lps: Vec3) => setJump((j) => ({ lps, seq: (j?.seq ?? 0) + 1 })), []);
  const setPickListener = useCallback((l: ((ijk: Vec3) => void) | null) => {
    pickListener.current = l;
  }, []);
  const viewerHooks = useMemo<ViewerAnalysisHooks>(() => ({ preview, jumpTo: jump, onPickVoxel: (ijk) => pickListener.current?.(ijk) }), [preview, jump]);
  return { viewerHooks, preview, setPreview, jumpTo, setPickListener };
}
