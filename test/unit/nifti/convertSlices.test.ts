// `medseg convert` (the built CLI: its decode workers are under test) writes an uncompressed .nii of an int16 stack
// slice by slice from the workers: the file equals, byte for byte, the one written from the whole volume (.nii.gz,
// decompressed), from uncompressed and J2K input alike, and its voxels equal pydicom's values; a slice that fails to
// decode fails the command with its code and leaves no file behind.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readNifti } from '../../../main/services/nifti/nifti.js';
import { ensureLargeSeries, mismatches, pydicomHuReference } from '../../helpers/largeSeries.js';
import { REPO_DIR } from '../../helpers/paths.js';

const run = promisify(execFile);
const CLI = path.join(REPO_DIR, 'bin/medseg.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'convert-slices-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function convert(input: string, output: string): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'convert', input, '-o', output, '--json'], { timeout: 120_000 });
    return { code: 0, json: JSON.parse(stdout) as Record<string, unknown>, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, json: e.stdout ? (JSON.parse(e.stdout) as Record<string, unknown>) : {}, stderr: e.stderr };
  }
}

describe('convert slice by slice', () => {
  it('writes the same file as the whole-volume path, equal to pydicom, from uncompressed and J2K input', async () => {
    expect(existsSync(path.join(REPO_DIR, 'dist/main/workers/decodeWorker.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
    const series = ensureLargeSeries({ slices: 32, size: 256, syntaxes: ['raw', 'j2k', 'jls'] });
    const raw = await convert(series.dirs.raw, path.join(tmp, 'a.nii'));
    expect(raw.code, raw.stderr).toBe(0);
    expect(raw.json.writtenFrom).toBe('slices');
    const gz = await convert(series.dirs.raw, path.join(tmp, 'b.nii.gz'));
    expect(gz.json.writtenFrom).toBe('volume');
    const sliced = readFileSync(path.join(tmp, 'a.nii'));
    expect(Buffer.compare(sliced, gunzipSync(readFileSync(path.join(tmp, 'b.nii.gz'))))).toBe(0);
    expect(readFileSync(path.join(tmp, 'a.json'), 'utf8')).toBe(readFileSync(path.join(tmp, 'b.json'), 'utf8'));

    const back = await readNifti(path.join(tmp, 'a.nii'));
    expect(back.volume.dims).toEqual(series.dims);
    expect(back.datatype).toBe('int16');
    expect(back.geometry.status).toBe('ok');
    const ref = pydicomHuReference(series.dirs.raw, path.join(tmp, 'ref.bin')).hu;
    expect(mismatches(back.volume.voxels, ref)).toBe(0);

    const j2k = await convert(series.dirs.j2k, path.join(tmp, 'j2k.nii'));
    expect(j2k.json.writtenFrom).toBe('slices');
    const fromJ2k = readFileSync(path.join(tmp, 'j2k.nii'));
    expect(fromJ2k.length).toBe(sliced.length);
    const voxOffset = sliced.readFloatLE(108);
    expect(Buffer.compare(fromJ2k.subarray(voxOffset), sliced.subarray(voxOffset))).toBe(0);
  }, 180_000);

  it('a slice that cannot be decoded fails the command with DECODE_FAILED and leaves no output file', async () => {
    const series = ensureLargeSeries({ slices: 32, size: 256, syntaxes: ['raw', 'j2k', 'jls'] });
    const dir = path.join(tmp, 'broken-j2k');
    mkdirSync(dir);
    const names = readdirSync(series.dirs.j2k).sort();
    for (const f of names) copyFileSync(path.join(series.dirs.j2k, f), path.join(dir, f));
    // the middle slice's codestream zeroed (its DICOM structure, ending in the 8-byte sequence delimiter, kept): the
    // header still reads, the decoder gives nothing
    const victim = path.join(dir, names[names.length >> 1]);
    const bytes = readFileSync(victim);
    const soc = bytes.indexOf(Buffer.from([0xff, 0x4f, 0xff, 0x51]));
    expect(soc).toBeGreaterThan(0);
    bytes.fill(0, soc, bytes.length - 8);
    writeFileSync(victim, bytes);
    const out = path.join(tmp, 'broken.nii');
    const r = await convert(dir, out);
    expect(r.code).toBe(1);
    expect(r.stderr + JSON.stringify(r.json)).toContain('DECODE_FAILED');
    expect(readdirSync(tmp).filter((f) => f.startsWith('broken.nii'))).toEqual([]);
  }, 180_000);
});
