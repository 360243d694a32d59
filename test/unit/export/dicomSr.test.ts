// DICOM SR (TID 1500) export: dciodvfy reports no error, pydicom reads the tree (test/reference/srFigures.py), and every
// figure equals `medseg measure --json` on the same series and labels; groups reference the SEG written beside it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../helpers/cli.js';
import { dciodvfy, pydicomValues } from '../../helpers/exportChecks.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const TS = join(DATA_DIR, 'totalsegmentator_example');
const CT_DIR = join(TS, 'example_ct_dicom');

interface SrGroup {
  trackingId: string;
  segmentNumber: number;
  segUid: string;
  finding: string;
  sourceSeries: string;
  nums: Record<string, { value: number; unit: string }>;
}

interface Measured {
  labels: {
    value: number;
    name: string;
    voxels: number;
    volumeMl: number;
    volumeMlLower: number;
    volumeMlUpper: number;
    stats: { mean: number; sd: number } | null;
    instances: { id: number; volumeMl: number; volumeMlLower: number; volumeMlUpper: number; recistLongMm: number; recistShortMm: number }[];
  }[];
}

/** DS keeps 16 characters: equal to about 1e-12 relative. */
function expectSame(a: number | undefined, b: number, what: string): void {
  expect(a, what).toBeDefined();
  expect(Math.abs(a! - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
}

describe('DICOM SR TID 1500 export', () => {
  it('sample CT, liver as a lesion: valid SR, every figure equals the measurement table, groups reference the SEG segments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-sr-'));
    const out = join(dir, 'ct.sr.dcm');
    const args = [CT_DIR, '--labels', join(TS, 'example_seg_dicom.nii.gz'), '--label-names', join(TS, 'labels_total.csv'), '--lesion-labels', '5'];
    const run = await runCliCaptured(['export', ...args, '--format', 'sr', '-o', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const files = (JSON.parse(run.stdout) as { files: string[] }).files;
    expect(files).toEqual([out, join(dir, 'ct.seg.dcm')]);
    for (const f of files) expect(dciodvfy(f).errors, f).toEqual([]);
    const sr = JSON.parse(execFileSync('/usr/bin/python3', [join(REPO_DIR, 'test/reference/srFigures.py'), out], { encoding: 'utf8' })) as {
      template: string;
      title: string;
      groups: SrGroup[];
    };
    expect(sr.template).toBe('1500');
    expect(sr.title).toBe('126000');
    const measure = await runCliCaptured(['measure', ...args, '--json']);
    expect(measure.code, measure.stderr).toBe(0);
    const table = JSON.parse(measure.stdout) as Measured;
    const seg = pydicomValues(join(dir, 'ct.seg.dcm'), ['SOPInstanceUID', 'SegmentSequence']);
    const segLabels = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          'import sys,json,pydicom; d=pydicom.dcmread(sys.argv[1]); print(json.dumps({int(s.SegmentNumber): s.SegmentLabel for s in d.SegmentSequence}))',
          join(dir, 'ct.seg.dcm'),
        ],
        { encoding: 'utf8' },
      ),
    ) as Record<string, string>;
    const byId = new Map(sr.groups.map((g) => [g.trackingId, g]));
    let instances = 0;
    for (const l of table.labels.filter((x) => x.voxels > 0)) {
      const g = byId.get(l.name);
      expect(g, l.name).toBeDefined();
      expect(g!.segUid).toBe(seg.SOPInstanceUID);
      expect(segLabels[String(g!.segmentNumber)]).toBe(l.name);
      expectSame(g!.nums['118565006']?.value, l.volumeMl, `${l.name} volume`);
      expectSame(g!.nums['118565006/255605001']?.value, l.volumeMlLower, `${l.name} volume lower`);
      expectSame(g!.nums['118565006/56851009']?.value, l.volumeMlUpper, `${l.name} volume upper`);
      expect(g!.nums['118565006'].unit).toBe('ml');
      expectSame(g!.nums['112031/373098007']?.value, l.stats!.mean, `${l.name} HU mean`);
      expectSame(g!.nums['112031/386136009']?.value, l.stats!.sd, `${l.name} HU SD`);
      expect(g!.nums['112031/373098007'].unit).toBe("[hnsf'U]");
      for (const inst of l.instances) {
        const gi = byId.get(`${l.name} #${inst.id}`);
        expect(gi, `${l.name} #${inst.id}`).toBeDefined();
        expectSame(gi!.nums['118565006']?.value, inst.volumeMl, `${l.name} #${inst.id} volume`);
        expectSame(gi!.nums['103339001']?.value, inst.recistLongMm, `${l.name} #${inst.id} RECIST long`);
        expectSame(gi!.nums['103340004']?.value, inst.recistShortMm, `${l.name} #${inst.id} RECIST short`);
        expect(gi!.nums['103339001'].unit).toBe('mm');
        instances++;
      }
    }
    // the liver, listed as a lesion, was split into instances with RECIST axes
    expect(instances).toBeGreaterThan(0);
    expect(sr.groups.length).toBe(table.labels.filter((x) => x.voxels > 0).length + instances);
    expect(byId.get('spleen')!.finding).toBe('78961009');
  }, 180_000);
});
