// Label maps (segmentations): one integer label per voxel on a volume grid, plus the label table.
import type { VolumeGeometry } from './volume.js';
import type { LabelInfo } from './labelTable.js';

// The table's vocabulary lives in labelTable.ts; re-exported so a label map and its table import from one place.
export { defaultLabelColor, type LabelInfo, type LabelKind } from './labelTable.js';

export interface LabelMap extends VolumeGeometry {
  /** Label per voxel, same order as Volume.voxels. 0 = background. */
  labels: Uint8Array | Uint16Array;
  table: LabelInfo[];
}
