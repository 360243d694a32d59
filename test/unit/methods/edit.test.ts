// The edit.* methods through dispatch (schemas checked both ways) on the real CT with the TotalSegmentator map:
// a stroke changes the served label map and the label counts by exactly the changed voxels, undo/redo restore
// bytes, versions revert, the threshold brush obeys HU read independently here, and a restart serves the edits.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import { binaryPath, parseBinaryPath, type RpcReply } from '../../../shared/ipc/contract.js';
import type { EditChange, EditState } from '../../../shared/ipc/contract-edit.js';
import { firstDifference, geometryOf, insertSegmentation } from '../../helpers/editFixture.js';
import { DATA_DIR } from '../../helpers/paths.js';

const DATA = `${DATA_DIR}/totalsegmentator_example`;
const DIMS = [512, 512, 20] as const;

let dbFile: string;
let db: Database;
let table: ServiceTable;
const call = (method: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, method, input, { emit: () => undefined });
const result = async <T>(r: Promise<RpcReply<unknown>>): Promise<T> => {
  const reply = await r;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
};
const labelMapBytes = async (segmentationId: number): Promise<Uint8Array> => (await table.readBinary('labelmap', segmentationId)).bytes.slice();
const counts = async (seriesId: number, segmentationId: number): Promise<Map<number, number>> => {
  const r = await result<{ segmentations: { segmentationId: number; labels: { value: number; voxels?: number }[] }[] }>(
    call('segmentations.list', { seriesId }),
  );
  return new Map(r.segmentations.find((l) => l.segmentationId === segmentationId)!.labels.map((l) => [l.value, l.voxels ?? -1]));
};

beforeAll(async () => {
  dbFile = path.join(mkdtempSync(path.join(tmpdir(), 'medseg-methods-edit-')), 'cat.db');
  db = openDatabase(dbFile);
  table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
  await result(call('import.paths', { paths: [path.join(DATA, 'example_ct_dicom')] }));
  await result(
    call('segmentations.addFromNifti', { seriesId: 1, path: path.join(DATA, 'example_seg_dicom.nii.gz'), labelTablePath: path.join(DATA, 'labels_total.csv') }),
  );
}, 120_000);

describe('edit.* methods', () => {
  let liver = 0;
  let before: Uint8Array;

  it('opens a session on an imported segmentation: state, labels and image values for threshold tools', async () => {
    const state = await result<EditState>(call('edit.open', { segmentationId: 1 }));
    expect(state).toMatchObject({ segmentationId: 1, version: 0, canUndo: false, canRedo: false, hasImageValues: true });
    liver = state.labels.find((l) => l.name === 'liver')!.value;
    expect(liver).toBeGreaterThan(0);
    before = await labelMapBytes(1);
    expect(before.length).toBe(DIMS[0] * DIMS[1] * DIMS[2]);
  });

  it('a brush stroke changes the served map and the label counts by exactly the changed voxels; undo and redo restore bytes', async () => {
    // A 5 mm disc on axial slice 10 at the image corner (air, background): every voxel in it becomes liver.
    const k = 10;
    const stroke = {
      kind: 'brush',
      mode: 'paint',
      label: liver,
      pathIjk: [
        [20, 20, k],
        [40, 20, k],
      ],
      radiusMm: 5,
      shape: 'disc',
      plane: 'axial',
    };
    const countsBefore = await counts(1, 1);
    const r = await result<EditChange>(call('edit.stroke', { segmentationId: 1, stroke }));
    expect(r).toMatchObject({ segmentationId: 1, version: 1, canUndo: true, canRedo: false, changedSlicesK: [k] });
    expect(r.bytesStored).toBeGreaterThan(0);
    const after = await labelMapBytes(1);
    // Independent count: voxels whose centre lies within 5 mm of the segment, on slice k, that were background.
    const sp = 0.9765625;
    let expected = 0;
    for (let j = 0; j < DIMS[1]; j++)
      for (let i = 0; i < DIMS[0]; i++) {
        const x = i * sp;
        const y = j * sp;
        const t = Math.min(1, Math.max(0, (x - 20 * sp) / (20 * sp)));
        const d = Math.hypot(x - (20 + 20 * t) * sp, y - 20 * sp);
        const n = i + DIMS[0] * (j + DIMS[1] * k);
        if (d <= 5 && before[n] === 0) {
          expected++;
          expect(after[n]).toBe(liver);
        }
      }
    expect(r.changedVoxels).toBe(expected);
    expect(expected).toBeGreaterThan(300);
    let diff = 0;
    for (let n = 0; n < after.length; n++) if (after[n] !== before[n]) diff++;
    expect(diff).toBe(expected);
    const countsAfter = await counts(1, 1);
    expect(countsAfter.get(liver)! - countsBefore.get(liver)!).toBe(expected);

    const u = await result<EditChange>(call('edit.undo', { segmentationId: 1 }));
    expect(u).toMatchObject({ version: 0, canUndo: false, canRedo: true, changedVoxels: expected });
    expect(firstDifference(await labelMapBytes(1), before)).toBe(-1);
    expect((await counts(1, 1)).get(liver)).toBe(countsBefore.get(liver));
    const re = await result<EditChange>(call('edit.redo', { segmentationId: 1 }));
    expect(re).toMatchObject({ version: 1, canUndo: true, canRedo: false, changedVoxels: expected });
    expect(firstDifference(await labelMapBytes(1), after)).toBe(-1);
  });

  it('threshold-limited brush paints only voxels whose HU lies in the range', async () => {
    const vol = (await table.readBinary('volume', 1)).bytes;
    const hu = new Int16Array(vol.buffer.slice(vol.byteOffset, vol.byteOffset + vol.byteLength));
    const prev = await labelMapBytes(1);
    const k = 12;
    const stroke = {
      kind: 'brush',
      mode: 'paint',
      label: liver,
      pathIjk: [[256, 256, k]],
      radiusMm: 30,
      shape: 'disc',
      plane: 'axial',
      intensityRange: { lo: 0, hi: 80 },
    };
    const r = await result<EditChange>(call('edit.stroke', { segmentationId: 1, stroke }));
    const now = await labelMapBytes(1);
    let changed = 0;
    for (let n = 0; n < now.length; n++) {
      if (now[n] === prev[n]) continue;
      changed++;
      expect(hu[n]).toBeGreaterThanOrEqual(0);
      expect(hu[n]).toBeLessThanOrEqual(80);
    }
    expect(changed).toBe(r.changedVoxels);
    expect(changed).toBeGreaterThan(0);
  });

  it('names versions, lists them, reverts to one as an undoable edit; creates a label and paints with it', async () => {
    const v = await result<{ id: number; seq: number; name: string }>(call('edit.nameVersion', { segmentationId: 1, name: 'reviewed by test' }));
    expect(v).toMatchObject({ seq: 2, name: 'reviewed by test' });
    const atVersion = await labelMapBytes(1);
    const lesion = await result<{ value: number; name: string }>(
      call('edit.createLabel', { segmentationId: 1, label: { name: 'my lesion', colorRgb: [255, 0, 255], kind: 'lesion' } }),
    );
    expect(lesion.value).toBeGreaterThan(liver);
    const state = await result<EditState>(call('edit.open', { segmentationId: 1 }));
    expect(state.labels.map((l) => l.name)).toContain('my lesion');
    // The contract lets a caller leave the kind out: a new label then never defaults to lesion.
    const plain = await result<{ name: string; kind: string }>(
      call('edit.createLabel', { segmentationId: 1, label: { name: 'my outline', colorRgb: [0, 255, 255] } }),
    );
    expect(plain).toMatchObject({ name: 'my outline', kind: 'other' });
    await result(
      call('edit.stroke', {
        segmentationId: 1,
        stroke: { kind: 'brush', mode: 'paint', label: lesion.value, pathIjk: [[100, 60, 3]], radiusMm: 4, shape: 'sphere' },
      }),
    );
    expect((await counts(1, 1)).get(lesion.value)).toBeGreaterThan(0);
    const listed = await result<{ versions: { id: number; name: string }[]; current: number }>(call('edit.versions', { segmentationId: 1 }));
    expect(listed.versions.map((x) => x.name)).toEqual(['reviewed by test']);
    expect(listed.current).toBe(3);
    const back = await result<EditChange>(call('edit.revertTo', { segmentationId: 1, versionId: v.id }));
    expect(back).toMatchObject({ version: 4, canUndo: true });
    expect(firstDifference(await labelMapBytes(1), atVersion)).toBe(-1);
    expect((await counts(1, 1)).get(lesion.value)).toBe(0);
    await result(call('edit.undo', { segmentationId: 1 })); // undoes the revert: the lesion is back
    expect((await counts(1, 1)).get(lesion.value)).toBeGreaterThan(0);
  });

  it('measurements see the edited mask: the measured liver voxels follow a stroke and its undo', async () => {
    type Measured = { labels: { value: number; voxels: number; volumeMl: number }[] };
    const liverOf = async (): Promise<number> =>
      (await result<Measured>(call('measure.segmentation', { segmentationId: 1 }))).labels.find((l) => l.value === liver)?.voxels ?? 0;
    const before = await liverOf();
    expect(before).toBe((await counts(1, 1)).get(liver));
    const r = await result<EditChange>(
      call('edit.stroke', {
        segmentationId: 1,
        stroke: { kind: 'brush', mode: 'paint', label: liver, pathIjk: [[30, 480, 15]], radiusMm: 4, shape: 'disc', plane: 'axial' },
      }),
    );
    expect(r.changedVoxels).toBeGreaterThan(0);
    expect(await liverOf()).toBe(before + r.changedVoxels);
    await result(call('edit.undo', { segmentationId: 1 }));
    expect(await liverOf()).toBe(before);
  });

  it('refuses bad input as data: unknown label, label outside the grid, empty version name, unknown segmentation', async () => {
    const unknown = await call('edit.stroke', {
      segmentationId: 1,
      stroke: { kind: 'brush', mode: 'paint', label: 250, pathIjk: [[1, 1, 1]], radiusMm: 2, shape: 'sphere' },
    });
    expect(unknown.ok || unknown.error.code).toBe('INVALID_INPUT');
    const outside = await call('edit.stroke', { segmentationId: 1, stroke: { kind: 'deleteInstance', seedIjk: [600, 1, 1] } });
    expect(outside.ok || outside.error.code).toBe('INVALID_INPUT');
    const noName = await call('edit.nameVersion', { segmentationId: 1, name: '' });
    expect(noName.ok || noName.error.code).toBe('INVALID_INPUT');
    const missing = await call('edit.open', { segmentationId: 77 });
    expect(missing.ok || missing.error.code).toBe('NOT_FOUND');
  });

  it('after a restart (new service table on the same database) the served map is the edited one', async () => {
    const live = await labelMapBytes(1);
    expect(firstDifference(live, before)).not.toBe(-1);
    const fresh = createServiceTable({ db: openDatabase(dbFile), mode: 'http', appVersion: 'test' });
    const served = (await fresh.readBinary('labelmap', 1)).bytes;
    expect(firstDifference(served, live)).toBe(-1);
  });

  it('works on any segmentation source (a model mask without image files: threshold tools off, brush on)', async () => {
    const g = geometryOf([8, 8, 4]);
    const segId = insertSegmentation(db, g, new Uint8Array(8 * 8 * 4));
    const state = await result<EditState>(call('edit.open', { segmentationId: segId }));
    expect(state).toMatchObject({ version: 0, hasImageValues: false });
    const r = await result<EditChange>(
      call('edit.stroke', { segmentationId: segId, stroke: { kind: 'fill', mode: 'paint', label: 1, plane: 'axial', seedIjk: [0, 0, 2] } }),
    );
    expect(r.changedVoxels).toBe(64);
    expect(r.changedSlicesK).toEqual([2]);
    const thr = await call('edit.stroke', {
      segmentationId: segId,
      stroke: { kind: 'brush', mode: 'paint', label: 1, pathIjk: [[1, 1, 1]], radiusMm: 1, shape: 'sphere', intensityRange: { lo: 0, hi: 1 } },
    });
    expect(thr.ok || thr.error.code).toBe('INVALID_INPUT');
  });

  it('serves only the changed box of the label map (labelmap/<id>?box=…), equal to the same box of the whole map', async () => {
    const r = await result<EditChange>(
      call('edit.stroke', { segmentationId: 1, stroke: { kind: 'brush', mode: 'paint', label: liver, pathIjk: [[60, 30, 4]], radiusMm: 3, shape: 'sphere' } }),
    );
    const box = r.changedBoundsIjk!;
    expect(box.minIjk[2]).toBeLessThan(box.maxIjk[2]); // a sphere spans slices
    const whole = await labelMapBytes(1);
    const part = (await table.readBinary('labelmap', 1, box)).bytes;
    const [nx, ny, nz] = [0, 1, 2].map((a) => box.maxIjk[a] - box.minIjk[a] + 1);
    expect(part.length).toBe(nx * ny * nz);
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const n = box.minIjk[0] + i + DIMS[0] * (box.minIjk[1] + j + DIMS[1] * (box.minIjk[2] + k));
          if (part[i + nx * (j + ny * k)] !== whole[n]) throw new Error(`box voxel ${i},${j},${k} differs`);
        }
    await expect(table.readBinary('labelmap', 1, { minIjk: [0, 0, 0], maxIjk: [512, 0, 0] })).rejects.toThrow(/not a voxel box/);
  });
});

describe('binary paths with a box', () => {
  it('round-trips a label map box and refuses boxes on other kinds or malformed queries', () => {
    const box = { minIjk: [1, 2, 3] as [number, number, number], maxIjk: [40, 50, 6] as [number, number, number] };
    const url = new URL(`http://x${binaryPath('labelmap', 7, box)}`);
    expect(parseBinaryPath(url.pathname, url.search)).toEqual({ kind: 'labelmap', resourceId: 7, box });
    expect(parseBinaryPath('/data/labelmap/7', '')).toEqual({ kind: 'labelmap', resourceId: 7 });
    expect(parseBinaryPath('/data/volume/7', '?box=1,2,3,4,5,6')).toBeNull();
    expect(parseBinaryPath('/data/labelmap/7', '?box=1,2,3')).toBeNull();
    expect(parseBinaryPath('/data/labelmap/7', '?box=-1,2,3,4,5,6')).toBeNull();
  });
});
