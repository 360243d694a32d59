// What the export tests share: a phantom label map on a series' own grid, dciodvfy's verdict, and the independent
// pydicom/nibabel placement check of a SEG (test/reference/segPlacement.py).
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ijkToLps } from '../../shared/domain/volume.js';
import { writeNifti } from '../../main/services/nifti/nifti.js';
import { loadVolumeFromPath } from '../../main/services/series/volumes.js';
import { REPO_DIR } from './paths.js';

/**
 * Label 1: a ball of `radiusFraction` of the smallest grid extent around the grid centre (in LPS mm); label 2: voxels
 * above the volume's median outside the ball, in the upper half of the slices. Written to `out` on the series grid.
 */
export async function writePhantomLabels(seriesPath: string, out: string, radiusFraction = 0.3, seriesUid?: string): Promise<Uint8Array> {
  const { volume, geometry } = await loadVolumeFromPath(seriesPath, seriesUid);
  const [nx, ny, nz] = volume.dims;
  const centre = ijkToLps(volume, [(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2]);
  const extent = Math.min(nx * volume.spacingMm[0], ny * volume.spacingMm[1], nz * volume.spacingMm[2]);
  const r2 = (radiusFraction * extent) ** 2;
  // the median of a sample (every 7th voxel) is enough to split the volume in two
  const sample = new Float64Array(Math.ceil(volume.voxels.length / 7));
  for (let p = 0, n = 0; p < volume.voxels.length; p += 7, n++) sample[n] = volume.voxels[p];
  const median = sample.sort()[sample.length >> 1];
  const labels = new Uint8Array(nx * ny * nz);
  const [a, b, c] = volume.directionLps;
  const [si, sj, sk] = volume.spacingMm;
  const o = volume.originLps;
  for (let k = 0, p = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) {
      // LPS of voxel (0, j, k) minus the centre; i adds a * si per step
      const r0 = [0, 1, 2].map((d) => o[d] + b[d] * sj * j + c[d] * sk * k - centre[d]);
      for (let i = 0; i < nx; i++, p++) {
        const x = r0[0] + a[0] * si * i;
        const y = r0[1] + a[1] * si * i;
        const z = r0[2] + a[2] * si * i;
        if (x * x + y * y + z * z <= r2) labels[p] = 1;
        else if (k >= nz / 2 && volume.voxels[p] > median) labels[p] = 2;
      }
    }
  await writeNifti(out, { ...volume, voxels: labels }, { labels: true, geometry });
  return labels;
}

export interface DciodvfyResult {
  errors: string[];
  warnings: string[];
}

/** dcmtk is not enough: dicom3tools' dciodvfy checks the IOD. A missing dciodvfy throws (the test fails). */
export function dciodvfy(file: string): DciodvfyResult {
  const run = spawnSync('dciodvfy', [file], { encoding: 'utf8' });
  if (run.error) throw new Error(`dciodvfy (Debian dicom3tools) is needed: ${run.error.message}`);
  const lines = `${run.stdout}\n${run.stderr}`.split('\n').map((l) => l.trim());
  return { errors: lines.filter((l) => /^Error/.test(l)), warnings: lines.filter((l) => /^Warning/.test(l)) };
}

export interface SegPlacement {
  frames: number;
  emptyFrames: number;
  segments: {
    segmentNumber: number;
    label: string;
    pixels: number;
    distinctVoxels: number;
    values: Record<string, number>;
    outside: number;
    maxOffVoxel: number;
  }[];
  labelCounts: Record<string, number>;
}

export function segPlacement(segFile: string, labelsNifti: string): SegPlacement {
  const out = execFileSync('/usr/bin/python3', [path.join(REPO_DIR, 'test/reference/segPlacement.py'), segFile, labelsNifti], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out) as SegPlacement;
}

/** Reads DICOM attributes with pydicom (keywords, nested by dots for the first item of a sequence). */
export function pydicomValues(file: string, keywords: string[]): Record<string, unknown> {
  const script = `
import json, sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
def get(kw):
    cur = ds
    for part in kw.split('.'):
        if part.isdigit():
            cur = cur[int(part)]
            continue
        cur = getattr(cur, part, None)
        if cur is None:
            return None
    if isinstance(cur, pydicom.sequence.Sequence):
        return len(cur)
    if isinstance(cur, (list, pydicom.multival.MultiValue)):
        return [str(x) for x in cur]
    return str(cur)
print(json.dumps({kw: get(kw) for kw in sys.argv[2:]}))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file, ...keywords], { encoding: 'utf8' })) as Record<string, unknown>;
}
