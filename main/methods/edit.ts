// The edit.* entries of the method table over the editing service (one live session per segmentation), and the
// label map as edited so far for binary 'labelmap/<id>': a page reload shows every committed stroke.
import type { Database } from 'better-sqlite3';
import type { editMethods } from '../../shared/ipc/contract-edit.js';
import type { LabelMap } from '../../shared/domain/labelMap.js';
import { voxelCount, type VoxelArray } from '../../shared/domain/volume.js';
import { EditSessionRegistry } from '../services/editing/registry.js';
import { loadEditedLabelMap, type EditResult, type EditSession } from '../services/editing/session.js';
import { loadSeriesVolume } from '../services/series/volumes.js';
import type { BinaryResource, MethodImpls } from './types.js';
import type { BinaryBox } from '../../shared/ipc/contract.js';

type EditMethodName = keyof typeof editMethods;

export interface EditingService {
  methods: Pick<MethodImpls, EditMethodName>;
  /** The label map with every committed edit: the live session's map when one is open, else rebuilt from the journal. */
  editedLabelMap(segmentationId: number): { seriesId: number; labelMap: LabelMap };
  /** The labels inside an inclusive voxel box, from the live session (opened if needed). */
  labelsInBox(segmentationId: number, box: BinaryBox): Promise<BinaryResource>;
  closeAll(): Promise<void>;
}

export function createEditingService(db: Database): EditingService {
  // The registry asks for image values synchronously; they are loaded (async) just before a session opens.
  const imageValues = new Map<number, VoxelArray | undefined>();
  const registry = new EditSessionRegistry(db, (segmentationId) => imageValues.get(segmentationId));
  const open = new Map<number, Promise<EditSession>>();
  const ready = new Map<number, EditSession>();

  const seriesOf = (segmentationId: number): number | undefined =>
    (db.prepare('SELECT series_id FROM segmentations WHERE id = ?').get(segmentationId) as { series_id: number } | undefined)?.series_id;

  const session = (segmentationId: number): Promise<EditSession> => {
    let job = open.get(segmentationId);
    if (!job) {
      job = (async () => {
        const seriesId = seriesOf(segmentationId);
        if (seriesId !== undefined && !imageValues.has(segmentationId)) {
          // Threshold tools need HU on the segmentation's grid; a series that cannot load only disables them.
          const volume = await loadSeriesVolume(db, seriesId).then((l) => l.volume, () => undefined);
          imageValues.set(segmentationId, volume?.voxels);
        }
        const s = registry.session(segmentationId);
        ready.set(segmentationId, s);
        return s;
      })();
      open.set(segmentationId, job);
      job.catch(() => open.delete(segmentationId));
    }
    return job;
  };

  const hasImageValues = (segmentationId: number, s: EditSession): boolean => {
    const v = imageValues.get(segmentationId);
    return v !== undefined && v.length === voxelCount(s.labelMap());
  };

  // A stroke's result also says how many bytes its delta took; undo, redo and revert store nothing new.
  const change = (segmentationId: number, r: EditResult & { bytesStored?: number }) => ({
    segmentationId,
    version: r.version,
    canUndo: r.canUndo,
    canRedo: r.canRedo,
    changedVoxels: r.changedVoxels,
    changedBoundsIjk: r.changedBoundsIjk,
    changedSlicesK: r.changedSlicesK,
    ...(r.bytesStored !== undefined ? { bytesStored: r.bytesStored } : {}),
  });

  const methods: EditingService['methods'] = {
    'edit.open': async ({ segmentationId }) => {
      const s = await session(segmentationId);
      const h = s.history();
      return { segmentationId, version: h.version, canUndo: h.canUndo, canRedo: h.canRedo, hasImageValues: hasImageValues(segmentationId, s), labels: s.labelMap().table };
    },
    'edit.stroke': async ({ segmentationId, stroke }) => change(segmentationId, (await session(segmentationId)).applyStroke(stroke)),
    'edit.undo': async ({ segmentationId }) => change(segmentationId, (await session(segmentationId)).undo()),
    'edit.redo': async ({ segmentationId }) => change(segmentationId, (await session(segmentationId)).redo()),
    'edit.versions': async ({ segmentationId }) => {
      const s = await session(segmentationId);
      return { versions: s.listVersions(), current: s.history().version };
    },
    'edit.nameVersion': async ({ segmentationId, name }) => (await session(segmentationId)).nameVersion(name),
    'edit.revertTo': async ({ segmentationId, versionId }) => change(segmentationId, (await session(segmentationId)).revertTo(versionId)),
    'edit.createLabel': async ({ segmentationId, label }) => (await session(segmentationId)).createLabel(label),
  };

  return {
    methods,
    editedLabelMap(segmentationId) {
      const live = ready.get(segmentationId);
      // A copy of the live map: the response may still be sending when the next stroke changes it.
      const m = live?.labelMap();
      const labelMap = m ? { ...m, labels: m.labels.slice() } : loadEditedLabelMap(db, segmentationId);
      return { seriesId: seriesOf(segmentationId) ?? -1, labelMap };
    },
    labelsInBox: async (segmentationId, box) => {
      const labels = (await session(segmentationId)).labelsInBounds(box);
      return { bytes: new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength), dtype: labels instanceof Uint8Array ? 'uint8' : 'uint16' };
    },
    closeAll: async () => {
      open.clear();
      ready.clear();
      await registry.closeAll();
    },
  };
}
