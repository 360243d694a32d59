// Import of DICOM SEG files (pydicom's liver SEG in six transfer syntaxes, an overlapping and a fractional variant made
// by test/fixtures/make-seg-fixtures.py) and of medseg's own SEG and .seg.nrrd exports, onto their series.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/db/database.js';
import { listCatalog } from '../../../main/db/catalog.js';
import { loadSegmentation } from '../../../main/db/segmentations.js';
import { loadExportContext } from '../../../main/services/export/context.js';
import { exportFormat } from '../../../main/services/export/formats.js';
import { readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { runCliCaptured } from '../../helpers/cli.js';
import { DATA_DIR, REPO_DIR } from '../../helpers/paths.js';

const LIVER = join(DATA_DIR, 'pydicom_data_selected');
const LIVER_FILES = ['liver.dcm', 'liver_deflate.dcm', 'liver_expb.dcm', 'liver_j2k.dcm', 'liver_rle.dcm', 'liver_nonbyte_aligned.dcm'];
const TS = join(DATA_DIR, 'totalsegmentator_example');

interface Summary {
  errors: { path: string; code: string; message: string }[];
  series: { seriesId: number; modality: string }[];
  segmentations?: { path: string; seriesId: number; segmentationIds: number[]; segments: { name: string; voxels: number; value: number }[]; notes: string[] }[];
}

let fx = '';
let expected: { liver: { Liver: number }; overlap: Record<string, number>; fractional: Record<string, number> };

beforeAll(() => {
  fx = mkdtempSync(join(tmpdir(), 'medseg-segfx-'));
  execFileSync('/usr/bin/python3', [join(REPO_DIR, 'test/fixtures/make-seg-fixtures.py'), join(LIVER, 'liver.dcm'), fx]);
  expected = JSON.parse(readFileSync(join(fx, 'expected.json'), 'utf8')) as typeof expected;
});

async function importJson(args: string[]): Promise<Summary> {
  const r = await runCliCaptured(['import', ...args, '--json']);
  return JSON.parse(r.stdout) as Summary;
}

describe('label map import', () => {
  it('pydicom liver SEG in six transfer syntaxes: one "Liver" segment on the referenced series, pixel counts from pydicom', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'medseg-imp-')), 'c.db');
    // without its series the SEG is refused with a code, and nothing else breaks
    const alone = await importJson([join(LIVER, 'liver.dcm'), '--db', db]);
    expect(alone.errors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    expect(alone.errors[0].message).toMatch(/import the images first/);
    const s = await importJson([join(fx, 'series'), ...LIVER_FILES.map((f) => join(LIVER, f)), '--db', db]);
    expect(s.errors).toEqual([]);
    // the SEG is never an image series: only the CT is listed
    expect(s.series.map((x) => x.modality)).toEqual(['CT']);
    expect(s.segmentations).toHaveLength(6);
    for (const seg of s.segmentations!) {
      expect(seg.seriesId, seg.path).toBe(s.series[0].seriesId);
      expect(
        seg.segments.map((x) => [x.name, x.voxels]),
        seg.path,
      ).toEqual([['Liver', expected.liver.Liver]]);
    }
    const handle = openDatabase(db);
    try {
      const modalities = listCatalog(handle).flatMap((p) => p.studies.flatMap((st) => st.series.map((se) => se.modality)));
      expect(modalities).toEqual(['CT']);
      // the stored label maps are identical whatever the transfer syntax
      const maps = s.segmentations!.map((x) => loadSegmentation(handle, x.segmentationIds[0]).labelMap.labels);
      for (const m of maps.slice(1)) expect(Buffer.compare(Buffer.from(m), Buffer.from(maps[0]))).toBe(0);
    } finally {
      handle.close();
    }
  }, 120_000);

  it('overlapping segments become two label maps with every voxel kept; a fractional SEG is thresholded with a note', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'medseg-imp-')), 'c.db');
    const s = await importJson([join(fx, 'series'), join(fx, 'overlap.dcm'), join(fx, 'fractional.dcm'), '--db', db]);
    expect(s.errors).toEqual([]);
    const [overlap, fractional] = s.segmentations!;
    expect(overlap.segmentationIds).toHaveLength(2);
    expect(overlap.segments.map((x) => [x.name, x.voxels])).toEqual([
      ['Liver', expected.overlap.Liver],
      ['Liver shifted', expected.overlap['Liver shifted']],
    ]);
    expect(overlap.notes.join(' ')).toMatch(/overlap/);
    const handle = openDatabase(db);
    try {
      const a = loadSegmentation(handle, overlap.segmentationIds[0]).labelMap.labels;
      const b = loadSegmentation(handle, overlap.segmentationIds[1]).labelMap.labels;
      let both = 0;
      for (let p = 0; p < a.length; p++) if (a[p] && b[p]) both++;
      expect(both).toBe(expected.overlap.overlapVoxels);
    } finally {
      handle.close();
    }
    expect(fractional.segments.map((x) => x.voxels)).toEqual([expected.fractional.above50]);
    expect(fractional.notes.join(' ')).toMatch(/thresholded at 50%/);
  }, 120_000);

  it('medseg SEG, NIfTI and .seg.nrrd exports of the sample CT come back with identical voxels (and the SEG onto its series)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-rt-'));
    const db = join(dir, 'c.db');
    const ct = join(TS, 'example_ct_dicom');
    const labels = join(TS, 'example_seg_dicom.nii.gz');
    const names = join(TS, 'labels_total.csv');
    // one context (the J2K series decoded once), three formats through the export command's handler map
    const ctx = await loadExportContext({ sourcePath: ct, labels, labelNamesPath: names });
    for (const [format, file] of [
      ['seg', 'ct.seg.dcm'],
      ['nifti', 'ct-labels.nii.gz'],
      ['seg.nrrd', 'ct.seg.nrrd'],
    ]) {
      await (await exportFormat(format)).write(ctx, { outPath: join(dir, file) });
    }
    // the reference: the source map put on the series grid by measure's own path (same grid here, up to axis order)
    const imp = await importJson([ct, join(dir, 'ct.seg.dcm'), join(dir, 'ct.seg.nrrd'), '--db', db]);
    expect(imp.errors).toEqual([]);
    const [fromSeg, fromNrrd] = imp.segmentations!;
    const handle = openDatabase(db);
    try {
      const segMap = loadSegmentation(handle, fromSeg.segmentationIds[0]).labelMap;
      const nrrdMap = loadSegmentation(handle, fromNrrd.segmentationIds[0]).labelMap;
      // SEG segments are numbered 1..31; names carry the labels: map back by name
      const valueOfName = new Map(nrrdMap.table.map((l) => [l.name, l.value]));
      const segValueToLabel = new Map(segMap.table.map((l) => [l.value, valueOfName.get(l.name) ?? -1]));
      let differ = 0;
      for (let p = 0; p < segMap.labels.length; p++) {
        const v = segMap.labels[p] === 0 ? 0 : segValueToLabel.get(segMap.labels[p]);
        if (v !== nrrdMap.labels[p]) differ++;
      }
      expect(differ).toBe(0);
      expect(nrrdMap.table.find((l) => l.value === 5)?.name).toBe('liver');
      // the NIfTI export read back: the same voxels as the .seg.nrrd, and its sidecar names the labels
      const nifti = await readNiftiLabels(join(dir, 'ct-labels.nii.gz'));
      expect(Buffer.compare(Buffer.from(nifti.labels), Buffer.from(nrrdMap.labels))).toBe(0);
      expect(nifti.geometryReport.status).toBe('ok');
      const sidecar = JSON.parse(readFileSync(join(dir, 'ct-labels.json'), 'utf8')) as {
        MedsegLabels: { value: number; name: string }[];
        MedsegGeometry: { status: string };
      };
      expect(sidecar.MedsegLabels.find((l) => l.value === 5)?.name).toBe('liver');
      expect(sidecar.MedsegGeometry.status).toBe('ok');
      // and the original label file, read independently by nibabel, has the same label counts
      const counts = JSON.parse(
        execFileSync(
          '/usr/bin/python3',
          [
            '-c',
            'import sys,json,nibabel as nb,numpy as np; a=np.asarray(nb.load(sys.argv[1]).dataobj); v,c=np.unique(a,return_counts=True); print(json.dumps({int(x):int(y) for x,y in zip(v,c) if x}))',
            labels,
          ],
          { encoding: 'utf8' },
        ),
      ) as Record<string, number>;
      const mine: Record<string, number> = {};
      for (const v of nrrdMap.labels) if (v) mine[v] = (mine[v] ?? 0) + 1;
      expect(mine).toEqual(counts);
    } finally {
      handle.close();
    }
  }, 180_000);
});
