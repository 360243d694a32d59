// The edit.* entries of the method table over the editing service (one live session per segmentation), and the
// label map as edited so far for binary 'labelmap/<id>': a page reload shows every committed stroke. Sessions are
// bounded (main/services/editing/registry.ts); edit.open re-reads the journal, so a stale session never lingers.
import type { Database } from 'better-sqlite3';
import type { editMethods } from '../../shared/ipc/contract-edit.js';
import type { LabelMap } from '../../shared/domain/labelMap.js';
import type { VoxelArray } from '../../shared/domain/volume.js';
import { bytesOf, dtypeOf } from '../../shared/domain/dtypes.js';
import { EditSessionRegistry, type EditSessionRegistryOptions } from '../services/editing/registry.js';
import { loadEditedLabelMap, openEditSession, type EditResult, type EditSession } from '../services/editing/session.js';
import { loadSeriesVolume } from '../services/series/volumes.js';
import { seriesIdOfSegmentation } from '../db/segmentations.js';
import { readJournal } from '../db/edits.js';
import type { BinaryResource, MethodImpls } from './types.js';
import type { BinaryBox } from '../../shared/ipc/contract.js';

type EditMethodName = keyof typeof editMethods;

export interface EditingService {
  methods: Pick<MethodImpls, EditMethodName>;
  /**
   * The label map with every committed edit: the live session's map when one is open, else rebuilt from the journal;
   * labelMapVersion is the journal position it shows (0 = as stored), read together with the map.
   */
  editedLabelMap(segmentationId: number): { seriesId: number; labelMap: LabelMap; labelMapVersion: number };
  /** The journal position the label map is at now (the live session's, else the stored cursor; 0 = never edited). */
  labelMapVersion(segmentationId: number): number;
  /** The labels inside an inclusive voxel box, from the live session (opened if needed). */
  labelsInBox(segmentationId: number, box: BinaryBox): Promise<BinaryResource>;
  /** Edit sessions open now (each holds a label map and image values). */
  openSessions(): number;
  /** Stores every session's pending snapshot and releases them all (shutdown). */
  closeAll(): Promise<void>;
}

export function createEditingService(db: Database, registryOptions: EditSessionRegistryOptions = {}): EditingService {
  // The registry asks for image values synchronously; they are loaded (async) just before a session opens and
  // handed over when it does, so the registry alone holds them while the session lives and frees them with it.
  const staged = new Map<number, VoxelArray | undefined>();
  const staging = new Map<number, Promise<void>>();
  const registry = new EditSessionRegistry(
    db,
    (segmentationId) => {
      const values = staged.get(segmentationId);
      staged.delete(segmentationId);
      return values;
    },
    registryOptions,
  );

  const stage = (segmentationId: number): Promise<void> => {
    let job = staging.get(segmentationId);
    if (!job) {
      job = (async () => {
        const seriesId = seriesIdOfSegmentation(db, segmentationId);
        // Threshold tools need HU on the segmentation's grid; a series that cannot load only disables them.
        const volume =
          seriesId === undefined
            ? undefined
            : await loadSeriesVolume(db, seriesId).then(
                (l) => l.volume,
                () => undefined,
              );
        staged.set(segmentationId, volume?.voxels);
      })().finally(() => staging.delete(segmentationId));
      staging.set(segmentationId, job);
    }
    return job;
  };

  /**
   * Runs op on the segmentation's live session. The session is taken from the registry in the same synchronous
   * step as op runs, so no other call can release it in between (an await there would leave such a gap).
   */
  const withSession = async <T>(segmentationId: number, op: (s: EditSession) => T): Promise<T> => {
    while (!registry.peek(segmentationId) && !staged.has(segmentationId)) await stage(segmentationId);
    try {
      return op(registry.session(segmentationId));
    } finally {
      staged.delete(segmentationId); // a failed open (unknown id) must not leave image values behind
    }
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
      // Opening always reads the journal afresh: after a CONFLICT (another process edited this segmentation)
      // the cached session is stale, and re-opening is how the user continues.
      await registry.reopen(segmentationId);
      return withSession(segmentationId, (s) => {
        const h = s.history();
        return {
          segmentationId,
          version: h.version,
          canUndo: h.canUndo,
          canRedo: h.canRedo,
          hasImageValues: registry.hasModality(segmentationId),
          labels: s.labelMap().table,
        };
      });
    },
    'edit.stroke': async ({ segmentationId, stroke }) => withSession(segmentationId, (s) => change(segmentationId, s.applyStroke(stroke))),
    'edit.undo': async ({ segmentationId }) => withSession(segmentationId, (s) => change(segmentationId, s.undo())),
    'edit.redo': async ({ segmentationId }) => withSession(segmentationId, (s) => change(segmentationId, s.redo())),
    'edit.versions': async ({ segmentationId }) => withSession(segmentationId, (s) => ({ versions: s.listVersions(), current: s.history().version })),
    'edit.nameVersion': async ({ segmentationId, name }) => withSession(segmentationId, (s) => s.nameVersion(name)),
    'edit.revertTo': async ({ segmentationId, versionId }) => withSession(segmentationId, (s) => change(segmentationId, s.revertTo(versionId))),
    'edit.createLabel': async ({ segmentationId, label }) => withSession(segmentationId, (s) => s.createLabel(label)),
  };

  return {
    methods,
    editedLabelMap(segmentationId) {
      // A copy of the live map: the response may still be sending when the next stroke changes it.
      const live = registry.peek(segmentationId);
      const m = live?.labelMap();
      if (live && m)
        return {
          seriesId: seriesIdOfSegmentation(db, segmentationId) ?? -1,
          labelMap: { ...m, labels: m.labels.slice() },
          labelMapVersion: live.history().version,
        };
      // One read transaction: the map and its version come from the same state of the journal.
      return db.transaction(() => ({
        seriesId: seriesIdOfSegmentation(db, segmentationId) ?? -1,
        labelMap: loadEditedLabelMap(db, segmentationId),
        labelMapVersion: readJournal(db, segmentationId)?.cursorSeq ?? 0,
      }))();
    },
    labelMapVersion(segmentationId) {
      const live = registry.peek(segmentationId);
      return live ? live.history().version : (readJournal(db, segmentationId)?.cursorSeq ?? 0);
    },
    labelsInBox: async (segmentationId, box) => {
      // From the live session; a read with none open uses a short-lived one rather than keeping a session (and
      // its image values) for a read.
      const live = registry.peek(segmentationId);
      const s = live ?? openEditSession(db, segmentationId);
      try {
        const labels = s.labelsInBounds(box);
        return { bytes: bytesOf(labels), dtype: dtypeOf(labels) };
      } finally {
        if (!live) s.close();
      }
    },
    openSessions: () => registry.size,
    closeAll: async () => {
      await Promise.allSettled([...staging.values()]);
      staged.clear();
      await registry.closeAll();
    },
  };
}
