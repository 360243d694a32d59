// Intensity statistics of each lesion instance (the measure table gives them per label only): the instances'
// connected components found again with the measurement's connectivity, each matched by its anchor voxel.
import { connectedComponents } from '../measure/components.js';
import type { MeasurementResult } from '../measure/measureLabels.js';
import { statsOfSorted, type IntensityStats } from '../measure/percentile.js';
import { voxelIndex, type VoxelArray, type Vec3 } from '../volume.js';

/** Key `${labelValue}:${instanceId}` → statistics of the volume's values inside that instance. */
export function instanceIntensityStats(
  voxels: VoxelArray,
  labels: Uint8Array | Uint16Array,
  dims: Vec3,
  result: MeasurementResult,
): Map<string, IntensityStats> {
  const out = new Map<string, IntensityStats>();
  const withInstances = result.labels.filter((l) => l.instances.length > 0);
  if (withInstances.length === 0) return out;
  const comps = connectedComponents(labels, dims, new Set(withInstances.map((l) => l.value)), result.connectivity);
  for (const l of withInstances) {
    for (const inst of l.instances) {
      const id = comps.ids[voxelIndex({ dims }, inst.anchorIjk[0], inst.anchorIjk[1], inst.anchorIjk[2])];
      const comp = id > 0 ? comps.components[id - 1] : undefined;
      if (!comp || comp.label !== l.value) continue;
      const values = new Float64Array(comp.voxels);
      for (let n = 0; n < comp.voxels; n++) values[n] = voxels[comps.order[comp.start + n]];
      values.sort();
      out.set(`${l.value}:${inst.id}`, statsOfSorted(values));
    }
  }
  return out;
}
