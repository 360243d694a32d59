// Benchmark: label counting (labelHistogram) vs numpy bincount on the same label data in the same run, plus the
// per-label reductions on the typed-array and ONNX Runtime paths and a full measurement, printed as rates.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readNifti, readNiftiLabels } from '../../main/services/nifti/nifti.js';
import { labelReductionsOnnx } from './onnxReductions/reductionsOnnx.js';
import { labelHistogram } from '../../shared/domain/measure/histogram.js';
import { measureLabelMap } from '../../shared/domain/measure/measureLabels.js';
import { labelReductions } from '../../shared/domain/measure/reductions.js';

const HERE = import.meta.dirname;
const TS = resolve(HERE, '../../../../shared/data/totalsegmentator_example');
const TARGET_VOXELS = 100_000_000;
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function tile<T extends Uint8Array | Int16Array>(src: T, times: number, make: (n: number) => T): T {
  const out = make(src.length * times);
  for (let t = 0; t < times; t++) out.set(src, t * src.length);
  return out;
}

async function timeIt(fn: () => unknown | Promise<unknown>, runs = RUNS): Promise<number> {
  await fn(); // warm-up: JIT and caches
  const secs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await fn();
    secs.push((performance.now() - t0) / 1000);
  }
  return median(secs);
}

export async function runMeasureBench(): Promise<void> {
  const seg = await readNiftiLabels(join(TS, 'example_seg.nii.gz'));
  const ct = (await readNifti(join(TS, 'example_ct_sm.nii.gz'))).volume;
  const times = Math.ceil(TARGET_VOXELS / seg.labels.length);
  // The real 41-label TotalSegmentator map (122x101x30), repeated: real run lengths, a CT-sized voxel count.
  const labels = tile(seg.labels as Uint8Array, times, (n) => new Uint8Array(n));
  const values = tile(ct.voxels as Int16Array, times, (n) => new Int16Array(n));
  const n = labels.length;
  const gv = (s: number): string => (n / s / 1e9).toFixed(3);

  const dir = mkdtempSync(join(tmpdir(), 'medseg-measure-bench-'));
  let np: { bincount: number; weighted: number; check: number[] };
  try {
    writeFileSync(join(dir, 'labels.u8'), labels);
    writeFileSync(join(dir, 'values.i16'), values);
    // numpy from Debian, timed inside Python so file loading is not counted, median of the same number of runs.
    np = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          `
import json, time, numpy as np
a = np.fromfile(${JSON.stringify(join(dir, 'labels.u8'))}, np.uint8)
v = np.fromfile(${JSON.stringify(join(dir, 'values.i16'))}, np.int16)
def med(f):
    f(); ts = []
    for _ in range(${RUNS}):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]
c = np.bincount(a, minlength=256)
print(json.dumps(dict(bincount=med(lambda: np.bincount(a, minlength=256)),
                      weighted=med(lambda: np.bincount(a, weights=v, minlength=256)), check=c[:8].tolist())))
`,
        ],
        { encoding: 'utf8', maxBuffer: 1 << 20 },
      ),
    ) as typeof np;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const hist = labelHistogram(labels);
  for (let v = 0; v < np.check.length; v++) if (hist[v] !== np.check[v]) throw new Error(`label ${v}: ours ${hist[v]} vs numpy ${np.check[v]}`);
  const tCount = await timeIt(() => labelHistogram(labels));
  const tReduce = await timeIt(() => labelReductions(labels, values, 256));
  const tOnnx = await timeIt(() => labelReductionsOnnx(labels, values, 256), 3);

  console.log(`\n== measurements: ${n.toLocaleString('en')} voxels (example_seg.nii.gz x${times}, uint8 labels, int16 HU), 1 thread, median of ${RUNS} ==`);
  // Rates are only comparable on an idle machine; the ratio is taken in the same run either way.
  console.log(`(1-minute load average at the end: ${loadavg()[0].toFixed(1)})`);
  console.log(['operation', 'medseg Gvox/s', 'numpy Gvox/s', 'medseg/numpy'].join(' | '));
  console.log(['label counting (labelHistogram vs np.bincount)', gv(tCount), gv(np.bincount), `${(np.bincount / tCount).toFixed(2)}×`].join(' | '));
  console.log(
    [
      'per-label count+sum+sumSq+min+max, typed arrays (vs np.bincount weights=HU: sum only)',
      gv(tReduce),
      gv(np.weighted),
      `${(np.weighted / tReduce).toFixed(2)}×`,
    ].join(' | '),
  );
  console.log(
    ['same reductions as an ONNX graph on onnxruntime-node cpu (4M-voxel chunks)', gv(tOnnx), gv(np.weighted), `${(np.weighted / tOnnx).toFixed(2)}×`].join(
      ' | ',
    ),
  );

  // A full measurement (band, stats with percentiles, centroids, diameters) on the real 512x512x20 map.
  const big = await readNiftiLabels(join(TS, 'example_seg_dicom.nii.gz'));
  const tFull = await timeIt(() => measureLabelMap(null, { ...big, table: [] }, { status: 'ok', findings: [] }), 3);
  console.log(`full measureLabelMap on example_seg_dicom (${big.labels.length.toLocaleString('en')} voxels, no intensities): ${tFull.toFixed(3)} s`);
}
