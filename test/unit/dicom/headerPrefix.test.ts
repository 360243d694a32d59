// Header reading from a file's first kilobytes (import without reading pixels): on every real DICOM file in the
// data folder it either declines (the whole file is read as before) or gives exactly the whole-file header; on a
// generated uncompressed CT series it is what reads every file; a file cut short is never accepted by it.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDicomHeader } from '../../../main/services/dicom/parse.js';
import { readHeaderFromFilePrefix } from '../../../main/services/dicom/fileRead.js';
import { readHeaderInProcess } from '../../../main/services/dicom/decodePool.js';
import { fillMissingIdentifiers } from '../../../main/services/dicom/identity.js';
import { ensureLargeSeries } from '../../helpers/largeSeries.js';
import { DATA_DIR } from '../../helpers/paths.js';

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** The header read from the whole file (what every import did before). */
function wholeFileHeader(file: string): unknown {
  try {
    const bytes = readFileSync(file);
    const inst = readDicomHeader(bytes, file);
    fillMissingIdentifiers(inst, bytes);
    return inst;
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const tmp = mkdtempSync(path.join(tmpdir(), 'header-prefix-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('header from the first bytes of a file', () => {
  it('equals the whole-file header on every real DICOM file it accepts', async () => {
    const files = walk(DATA_DIR).filter((f) => !/\.(md|csv|json|nii|gz|txt|bin|h5|py)$/i.test(f));
    let accepted = 0;
    for (const file of files) {
      const quick = await readHeaderFromFilePrefix(file);
      if (!quick) continue;
      accepted++;
      fillMissingIdentifiers(quick, new Uint8Array(0));
      if (!quick.sopInstanceUid.startsWith('medseg-')) expect(quick, file).toEqual(wholeFileHeader(file));
    }
    // The gantry-tilt CT, the lung patch series and others are plain uncompressed files larger than the prefix.
    expect(accepted).toBeGreaterThan(20);
  }, 120_000);

  it('reads every file of a generated uncompressed CT series without its pixels, and the same header as before', async () => {
    const series = ensureLargeSeries({ slices: 24, size: 192, syntaxes: ['raw'] });
    const files = readdirSync(series.dirs.raw).map((f) => path.join(series.dirs.raw, f));
    for (const file of files) {
      const quick = await readHeaderFromFilePrefix(file);
      expect(quick, file).toBeDefined();
      expect(await readHeaderInProcess({ path: file })).toEqual(wholeFileHeader(file));
    }
  }, 120_000);

  it('declines a file cut short inside its pixel data, so the whole-file reader reports it as TRUNCATED', async () => {
    const series = ensureLargeSeries({ slices: 24, size: 192, syntaxes: ['raw'] });
    const src = path.join(series.dirs.raw, readdirSync(series.dirs.raw).sort()[0]);
    const cut = path.join(tmp, 'cut.dcm');
    copyFileSync(src, cut);
    truncateSync(cut, statSync(src).size - 1000);
    expect(await readHeaderFromFilePrefix(cut)).toBeUndefined();
    await expect(readHeaderInProcess({ path: cut })).rejects.toMatchObject({ code: 'TRUNCATED' });
  }, 120_000);
});
