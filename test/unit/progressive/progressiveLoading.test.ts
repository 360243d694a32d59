// Progressive opening of a series: the spread-first slice order, the volume-slice path, and a generated 160-slice CT
// served slice by slice through the method table, each slice equal to pydicom's values at its own position (slices
// sorted by z) and the complete volume equal to the non-progressive path voxel for voxel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import { binaryPath, parseBinaryPath, type RpcReply } from '../../../shared/ipc/contract.js';
import { progressiveSliceOrder } from '../../../shared/domain/progressive/sliceOrder.js';
import { clearVolumeCache, loadVolumeFromPath } from '../../../main/services/series/volumes.js';
import { ensureLargeSeries, mismatches, pydicomHuReference, type LargeSeries } from '../../helpers/largeSeries.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'progressive-'));
let table: ServiceTable;
let series: LargeSeries;
const result = <T>(r: RpcReply<unknown>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.result as T;
};
const call = async <T>(method: string, input: unknown): Promise<T> => result<T>(await dispatch(table, method, input, { emit: () => undefined }));

beforeAll(() => {
  series = ensureLargeSeries({ slices: 160, size: 256, syntaxes: ['raw'] });
  table = createServiceTable({ db: openDatabase(path.join(tmp, 'cat.db')), mode: 'http', appVersion: 'test' });
});
afterAll(async () => {
  await table.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('progressive slice order', () => {
  it('is a permutation starting at the middle, then quartiles, with the first 31 slices spread over the whole range', () => {
    for (let n = 0; n <= 600; n++) {
      const order = progressiveSliceOrder(n);
      expect(order.length).toBe(n);
      expect(new Set(order).size).toBe(n);
      expect(order.every((k) => Number.isInteger(k) && k >= 0 && k < n)).toBe(true);
      if (n >= 4) expect(order.slice(0, 3)).toEqual([Math.floor(n / 2), Math.floor(n / 4), Math.floor((3 * n) / 4)]);
      if (n >= 64) {
        // every gap among the first 31 slices (and to either end) is at most a sixteenth of the range, rounded up
        const coarse = [-1, ...order.slice(0, 31).sort((a, b) => a - b), n];
        for (let g = 1; g < coarse.length; g++) expect(coarse[g] - coarse[g - 1], `n=${n}`).toBeLessThanOrEqual(Math.ceil(n / 16) + 1);
        // after the spread slices, the rest come in ascending order
        const rest = order.slice(31);
        expect(rest).toEqual([...rest].sort((a, b) => a - b));
      }
    }
  });

  it('names a slice as /data/volume-slice/<seriesId>?k=K and refuses anything else on that kind', () => {
    expect(binaryPath('volume-slice', 7, undefined, 12)).toBe('/data/volume-slice/7?k=12');
    expect(parseBinaryPath('/data/volume-slice/7', '?k=12')).toEqual({ kind: 'volume-slice', resourceId: 7, sliceK: 12 });
    expect(parseBinaryPath('/data/volume-slice/7', '?k=0')).toEqual({ kind: 'volume-slice', resourceId: 7, sliceK: 0 });
    for (const bad of ['', '?k=', '?k=-1', '?k=01', '?k=1.5', '?k=1&k=2', '?box=0,0,0,1,1,1'])
      expect(parseBinaryPath('/data/volume-slice/7', bad), bad).toBeNull();
    expect(parseBinaryPath('/data/volume/7', '?k=3')).toBeNull();
  });
});

describe('a 160-slice CT opened progressively through the method table', () => {
  it('answers with the grid at once, serves every slice at its own position, and completes to the non-progressive volume', async () => {
    const imported = await call<{ seriesIds: number[] }>('import.paths', { paths: [series.dirs.raw] });
    const seriesId = imported.seriesIds[0];
    clearVolumeCache();
    const t0 = performance.now();
    const opened = await call<{ dims: number[]; spacingMm: number[]; originLps: number[]; progressive: boolean; sliceOrder: number[]; slicesReady: number }>(
      'volume.open',
      { seriesId },
    );
    const tOpen = performance.now() - t0;
    expect(opened.progressive).toBe(true);
    expect(opened.dims).toEqual(series.dims);
    expect(opened.sliceOrder).toEqual(progressiveSliceOrder(series.dims[2]));
    const first = await table.readBinary('volume-slice', seriesId, undefined, opened.sliceOrder[0]);
    const tFirst = performance.now() - t0;
    const ref = pydicomHuReference(series.dirs.raw, path.join(tmp, 'ref.bin')).hu;
    const sliceLen = series.dims[0] * series.dims[1];
    const refSlice = (k: number): Int16Array => ref.subarray(k * sliceLen, (k + 1) * sliceLen);
    expect(first.dtype).toBe('int16');
    // Every slice, fetched in the server's order while the build runs, holds pydicom's values of that very slice.
    const got = await Promise.all(opened.sliceOrder.map(async (k) => ({ k, r: await table.readBinary('volume-slice', seriesId, undefined, k) })));
    const tAll = performance.now() - t0;
    for (const { k, r } of got) {
      const v = new Int16Array(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength / 2);
      expect(mismatches(v, refSlice(k)), `slice ${k}`).toBe(0);
    }
    // neighbouring slices differ, so a slice at the wrong position could not pass
    for (const k of [10, 80, 150]) expect(mismatches(refSlice(k), refSlice(k + 1))).toBeGreaterThan(sliceLen / 10);
    // The complete volume, served as today, is the build the slices came from; the path-based (non-progressive)
    // build of the same folder is the same bytes.
    const whole = await table.readBinary('volume', seriesId);
    const wholeValues = new Int16Array(whole.bytes.buffer, whole.bytes.byteOffset, whole.bytes.byteLength / 2);
    const plain = await loadVolumeFromPath(series.dirs.raw);
    expect(mismatches(wholeValues, plain.volume.voxels)).toBe(0);
    expect(mismatches(wholeValues, ref)).toBe(0);
    const info = await call<{ dims: number[]; spacingMm: number[]; originLps: number[]; directionLps: number[][] }>('volume.info', { seriesId });
    expect({ dims: opened.dims, spacingMm: opened.spacingMm, originLps: opened.originLps }).toEqual({
      dims: info.dims,
      spacingMm: info.spacingMm,
      originLps: info.originLps,
    });
    console.log(
      `progressive 256x256x160 (contended machine): grid ${tOpen.toFixed(0)} ms (slices ready then: ${opened.slicesReady}), first slice ${tFirst.toFixed(0)} ms, all slices ${tAll.toFixed(0)} ms`,
    );
    // A slice outside the grid is bad input, not a hang.
    await expect(table.readBinary('volume-slice', seriesId, undefined, series.dims[2])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  }, 60_000);
});
