// The edit session of one segmentation of the open series: which one (the newest unless the user picked another),
// its state (version, labels, undo/redo), its named versions, and every change to it sent through the edit queue,
// with the changed box patched into the views' copy before the next change is sent.
import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api.js';
import type { SegmentationInfo, MethodInput, MethodOutput } from '../../../shared/ipc/contract.js';
import type { EditChange, EditState } from '../../../shared/ipc/contract-edit.js';
import type { EditStroke } from '../../../shared/domain/editing/strokes.js';
import { patchLabelMap } from '../../viewer/volumeStore.js';
import { useMethod } from '../../state/useMethod.js';
import { useEditQueue } from './useEditQueue.js';

export type EditVersion = MethodOutput<'edit.versions'>['versions'][number];
export type NewLabel = MethodInput<'edit.createLabel'>['label'];

export function useEditSession(labelMaps: readonly SegmentationInfo[], onChanged: () => void, onStatus: (s: string) => void) {
  const [segId, setSegId] = useState<number | null>(null);
  const [state, setState] = useState<EditState | null>(null);
  const opening = useMethod('edit.open', { onError: (m) => onStatus(`Cannot edit: ${m}`) });
  const listing = useMethod('edit.versions', { onError: (m) => onStatus(`Versions: ${m}`), keepPrevious: true });
  const run = useEditQueue(onStatus);
  const { call: open, clear: clearOpen } = opening;
  const { call: listVersions, clear: clearVersions } = listing;

  // Default to the newest segmentation of the series; keep the choice while it exists.
  useEffect(() => {
    if (segId !== null && labelMaps.some((l) => l.segmentationId === segId)) return;
    setSegId(labelMaps.length ? labelMaps[labelMaps.length - 1].segmentationId : null);
  }, [labelMaps, segId]);

  useEffect(() => {
    setState(null);
    clearVersions();
    if (segId === null) return clearOpen();
    void open({ segmentationId: segId }).then((s) => {
      if (!s) return;
      setState(s);
      void listVersions({ segmentationId: segId });
    });
  }, [segId, open, clearOpen, listVersions, clearVersions]);

  const applied = useCallback(
    (what: string, r: EditChange | undefined) => {
      if (!r) return;
      setState((s) => (s && s.segmentationId === r.segmentationId ? { ...s, version: r.version, canUndo: r.canUndo, canRedo: r.canRedo } : s));
      // Re-list: new voxel counts, and the views pick up the patched label map.
      if (r.changedVoxels > 0) onChanged();
      onStatus(`${what}: ${r.changedVoxels} voxels changed (version ${r.version}).`);
      void listVersions({ segmentationId: r.segmentationId });
    },
    [onChanged, onStatus, listVersions],
  );

  /** One edit as a queued job: the call, then the changed box fetched into the viewer's copy, in main's order. */
  const change = useCallback(
    (what: string, call: () => Promise<EditChange>) =>
      run(async () => {
        const r = await call();
        if (r.changedBoundsIjk) await patchLabelMap(r.segmentationId, r.changedBoundsIjk);
        return r;
      }).then((r) => applied(what, r)),
    [run, applied],
  );

  const stroke = useCallback(
    (what: string, s: EditStroke) => {
      if (segId !== null) void change(what, () => api.call('edit.stroke', { segmentationId: segId, stroke: s }));
    },
    [segId, change],
  );
  const undo = useCallback(() => {
    if (segId !== null) void change('Undo', () => api.call('edit.undo', { segmentationId: segId }));
  }, [segId, change]);
  const redo = useCallback(() => {
    if (segId !== null) void change('Redo', () => api.call('edit.redo', { segmentationId: segId }));
  }, [segId, change]);
  const revertTo = useCallback(
    (versionId: number, what: string) => {
      if (segId !== null) void change(what, () => api.call('edit.revertTo', { segmentationId: segId, versionId }));
    },
    [segId, change],
  );

  const createLabel = useCallback(
    async (label: NewLabel) => {
      if (segId === null) return undefined;
      const l = await run(() => api.call('edit.createLabel', { segmentationId: segId, label }));
      if (!l) return undefined;
      setState((s) => (s && s.segmentationId === segId ? { ...s, labels: [...s.labels, l] } : s));
      onChanged();
      onStatus(`New label ${l.value} "${l.name}".`);
      return l;
    },
    [segId, run, onChanged, onStatus],
  );

  const nameVersion = useCallback(
    async (name: string) => {
      if (segId === null) return false;
      const v = await run(() => api.call('edit.nameVersion', { segmentationId: segId, name }));
      if (!v) return false;
      onStatus(`Version "${v.name}" named.`);
      void listVersions({ segmentationId: segId });
      return true;
    },
    [segId, run, onStatus, listVersions],
  );

  const versions: EditVersion[] = listing.result?.versions ?? [];
  return { segId, setSegId, state, versions, stroke, undo, redo, revertTo, createLabel, nameVersion };
}
