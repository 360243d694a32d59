// Study-browser thumbnails: windowing and mm-aspect letterboxing of a frame, and the real CT series' middle slice.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { THUMBNAIL_PX, thumbnailFromFrame, seriesThumbnail } from '../../../main/services/series/thumbnails.js';
import { openDatabase } from '../../../main/db/database.js';
import { importPaths } from '../../../main/services/catalog/importer.js';
import { DATA_DIR } from '../../helpers/paths.js';

describe('thumbnails', () => {
  it('windows CT to soft tissue and letterboxes a wide-in-mm frame', () => {
    // 4 columns x 2 rows with 1 mm columns and 1 mm rows: twice as wide as tall -> rows 16..47 of the 64 px.
    const values = new Int16Array([-1000, -160, 40, 240, -1000, -160, 40, 240]);
    const t = thumbnailFromFrame({ kind: 'grey', rows: 2, columns: 4, values }, 'CT', [1, 1]);
    expect(t.length).toBe(THUMBNAIL_PX * THUMBNAIL_PX);
    const at = (x: number, y: number): number => t[y * THUMBNAIL_PX + x];
    expect([at(0, 0), at(63, 15), at(0, 48)]).toEqual([0, 0, 0]); // letterbox bars
    expect([at(8, 20), at(24, 20), at(40, 20), at(56, 20)]).toEqual([0, 0, 128, 255]); // -1000, -160 (lo), 40 (mid), 240 (hi)
    // Same pixels, rows 4 mm apart: now taller than wide in mm -> columns letterboxed instead.
    const tall = thumbnailFromFrame({ kind: 'grey', rows: 2, columns: 4, values }, 'CT', [1, 4]);
    expect(tall[20 * THUMBNAIL_PX + 0]).toBe(0);
    expect(tall[20 * THUMBNAIL_PX + 40]).toBe(255);
  });

  it('windows MR like the viewer opens it: the 1st-99th percentile auto window', () => {
    // 10 x 10 values 0..99 (shuffled): auto window 1..99, so 50 is mid-grey and 99 white.
    const values = Int16Array.from({ length: 100 }, (_, n) => (n * 37) % 100);
    const t = thumbnailFromFrame({ kind: 'grey', rows: 10, columns: 10, values }, 'MR', [1, 1]);
    const at = (x: number, y: number): number => t[y * THUMBNAIL_PX + x];
    expect(at(2, 35)).toBe(Math.round((255 * (50 - 1)) / 98)); // row 5, column 0 holds 50
    expect(at(47, 15)).toBe(255); // row 2, column 7 holds 99
    expect(at(2, 2)).toBe(0); // row 0, column 0 holds 0 (below the window)
  });

  it('decodes only the middle instance of the real CT series into a body-shaped image', async () => {
    const db = openDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'medseg-thumb-')), 'cat.db'));
    await importPaths(db, [`${DATA_DIR}/totalsegmentator_example/example_ct_dicom`]);
    const t = await seriesThumbnail(db, 1);
    expect(t[0]).toBe(0); // air in the corner
    expect(t[32 * THUMBNAIL_PX + 32]).toBeGreaterThan(60); // soft tissue in the middle of the abdomen
    db.close();
  });
});
