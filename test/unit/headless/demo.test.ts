// The README's main command, scripts/demo.sh, run as a user runs it: import the bundled CT -> segment into the SAME
// catalog -> measure the stored result. No step may fail or be skipped silently; the liver is checked against
// TotalSegmentator's label map (model output, read by nibabel) and stderr against native noise.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../../main/db/database.js';
import { listMeasurementRuns, loadMeasurements } from '../../../main/db/measurements.js';
import { listSegmentations } from '../../../main/db/segmentations.js';
import { python, TS_DIR } from '../../helpers/measureHelpers.js';
import { REPO_DIR } from '../../helpers/paths.js';

const DEMO = path.join(REPO_DIR, 'scripts/demo.sh');
/** TotalSegmentator "total" label value of the liver (labels_total.csv). */
const TS_LIVER = 5;

describe('scripts/demo.sh (the README main command)', () => {
  it('has no step allowed to fail silently', () => {
    const text = readFileSync(DEMO, 'utf8');
    expect(text).toMatch(/^set -euo pipefail$/m);
    expect(text).not.toMatch(/\|\|\s*true/);
    expect(text).not.toMatch(/--help\s*\|\s*grep/);
  });

  it('imports, segments into the same catalog and measures the stored segmentation; liver plausible, stderr clean', () => {
    // it runs the compiled CLI, as the README's user does; `npm test` builds first
    expect(existsSync(path.join(REPO_DIR, 'dist/main/headless/cli.js'))).toBe(true);
    const out = mkdtempSync(path.join(tmpdir(), 'medseg-demo-'));
    const run = spawnSync('bash', [DEMO], {
      cwd: REPO_DIR,
      encoding: 'utf8',
      env: { ...process.env, MEDSEG_DEMO_OUT: out, MEDSEG_DEMO_BUILT: '1', MEDSEG_DEMO_NO_SERVE: '1' },
      timeout: 600_000,
    });
    expect(run.status, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);

    // stderr carries only our one-line notes: no ORT provider-bridge error, no Dawn/Vulkan warning, no npm warning
    const errLines = run.stderr.split('\n').filter((l) => l.trim() !== '');
    for (const line of errLines) expect(line).toMatch(/^note: /);
    expect(run.stderr).not.toMatch(/onnxruntime|Vulkan|\[E:|\x1b\[|npm warn/i);

    const segment = JSON.parse(readFileSync(path.join(out, 'segment.json'), 'utf8')) as {
      stored: { seriesId: number; segmentationId: number } | null;
      modalityCheck: { seriesModality: string; mismatchAllowed: boolean };
      labels: { name: string; voxels: number; volumeMl: number }[];
      executionProvider: string;
      fallbacks: { provider: string; reason: string }[];
    };
    expect(segment.stored).not.toBeNull();
    expect(segment.modalityCheck).toMatchObject({ seriesModality: 'CT', mismatchAllowed: false });
    // every GPU provider that did not run says why, in the JSON
    for (const f of segment.fallbacks) expect(f.reason.length).toBeGreaterThan(10);

    const db = openDatabase(path.join(out, 'demo.db'));
    try {
      // the import made one series; segment found it (it added nothing) and stored its result there
      const seriesIds = (db.prepare('SELECT id FROM series').all() as { id: number }[]).map((r) => r.id);
      expect(seriesIds).toEqual([segment.stored!.seriesId]);
      const segs = listSegmentations(db, segment.stored!.seriesId);
      expect(segs.map((s) => s.id)).toEqual([segment.stored!.segmentationId]);
      expect(segs[0]).toMatchObject({ source: 'model', model: { id: 'abdomen-ct' } });

      // the measurement is of that stored segmentation: its one run, whose rows are the CSV written
      const runs = listMeasurementRuns(db, segment.stored!.segmentationId);
      expect(runs).toHaveLength(1);
      const { rows } = loadMeasurements(db, runs[0].id);
      const csv = readFileSync(path.join(out, 'measurements.csv'), 'utf8')
        .trim()
        .split(/\r?\n/)
        .map((l) => l.split(','));
      const header = csv[0];
      expect(header.at(-1)).toBe('intensityUnit');
      const csvLiver = csv.find((r) => r[header.indexOf('labelName')] === 'liver' && r[header.indexOf('instanceId')] === '0')!;
      const storedLiver = rows.find((r) => r.labelName === 'liver' && r.instanceId === 0)!;
      expect(Number(csvLiver[header.indexOf('volumeMl')])).toBe(storedLiver.volumeMl);
      expect(Number(csvLiver[header.indexOf('voxels')])).toBe(segment.labels.find((l) => l.name === 'liver')!.voxels);
      expect(csvLiver.at(-1)).toBe('HU');

      // plausible against TotalSegmentator's liver on the same 20 slices (its label map is model output too)
      const ref = python<{ voxels: number; voxelMl: number }>(
        `import json, nibabel as nb, numpy as np
img = nb.load(${JSON.stringify(path.join(TS_DIR, 'example_seg_dicom.nii.gz'))})
z = img.header.get_zooms()[:3]
print(json.dumps({"voxels": int((np.asarray(img.dataobj) == ${TS_LIVER}).sum()), "voxelMl": float(z[0] * z[1] * z[2] / 1000)}))`,
      );
      const refMl = ref.voxels * ref.voxelMl;
      console.log(`demo: liver ${storedLiver.volumeMl.toFixed(1)} mL stored and measured vs TotalSegmentator ${refMl.toFixed(1)} mL`);
      expect(Math.abs(storedLiver.volumeMl - refMl) / refMl).toBeLessThan(0.15);
      // the partial-volume band brackets the volume
      expect(storedLiver.volumeMlLower).toBeLessThan(storedLiver.volumeMl);
      expect(storedLiver.volumeMlUpper).toBeGreaterThan(storedLiver.volumeMl);
    } finally {
      db.close();
    }
  }, 600_000);
});
