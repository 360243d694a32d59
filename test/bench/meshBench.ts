// Benchmark: surface extraction for every label of the sample CT's TotalSegmentator maps (the 3 mm map, 41 labels,
// and the 512x512x20 map on the DICOM grid), time, triangles and memory; next to VTK's discrete flying edges
// (Debian python3-vtk9, all labels in one pass, no smoothing) on the same file in the same run, as a ratio.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { labelValuesPresent } from '../../shared/domain/labelTable.js';
import { labelSurface } from '../../shared/domain/mesh/labelSurface.js';
import { readNiftiLabels } from '../../main/services/nifti/nifti.js';

const HERE = import.meta.dirname;
const TS = resolve(HERE, '../../../../shared/data/totalsegmentator_example');
const BUDGET = 100_000;

const VTK_SCRIPT = `
import sys, time, vtk
r = vtk.vtkNIFTIImageReader(); r.SetFileName(sys.argv[1]); r.Update()
img = r.GetOutput()
import numpy as np
from vtk.util.numpy_support import vtk_to_numpy
values = sorted(set(np.unique(vtk_to_numpy(img.GetPointData().GetScalars())).tolist()) - {0})
t0 = time.perf_counter()
fe = vtk.vtkDiscreteFlyingEdges3D(); fe.SetInputData(img)
for n, v in enumerate(values): fe.SetValue(n, v)
fe.Update()
print(time.perf_counter() - t0, fe.GetOutput().GetNumberOfCells())
`;

export async function runMeshBench(): Promise<void> {
  for (const file of ['example_seg.nii.gz', 'example_seg_dicom.nii.gz']) {
    const path = join(TS, file);
    const grid = await readNiftiLabels(path);
    const values = labelValuesPresent(grid.labels);
    let peakRss = process.memoryUsage().rss;
    const t0 = performance.now();
    let triangles = 0;
    let slowest = { value: 0, ms: 0, triangles: 0 };
    for (const value of values) {
      const t = performance.now();
      const s = labelSurface(grid, value, { targetTriangles: BUDGET });
      const ms = performance.now() - t;
      triangles += s.mesh.triangles.length / 3;
      if (ms > slowest.ms) slowest = { value, ms, triangles: s.mesh.triangles.length / 3 };
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const secs = (performance.now() - t0) / 1000;
    const [vtkSecs, vtkTriangles] = execFileSync('/usr/bin/python3', ['-c', VTK_SCRIPT, path], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    console.log(
      `mesh ${file} (${grid.dims.join('x')}, ${values.length} labels, budget ${BUDGET}/label): ${secs.toFixed(2)} s, ${triangles} triangles, ` +
        `slowest label ${slowest.value} ${(slowest.ms / 1000).toFixed(2)} s (${slowest.triangles} triangles), peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB; ` +
        `VTK discrete flying edges (no smoothing, no budget) ${vtkSecs.toFixed(2)} s, ${vtkTriangles} triangles; ratio ${(secs / vtkSecs).toFixed(1)}x; ` +
        `load ${loadavg()[0].toFixed(1)}`,
    );
  }
}
