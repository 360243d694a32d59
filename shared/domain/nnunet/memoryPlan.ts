// What the streaming 3D path holds at its peak (while a tile runs), from the grid alone: the padded network-grid
// image, the one-patch-deep class-score slab, one tile's output twice (onnxruntime's buffer and the copy
// onnxruntime-node hands back; three with mirroring: the running mirror sum too) and the exporter. The network's
// own activations depend on its widths and are not counted here (the bench measures them).
import { size3, type Shape3 } from './array3.js';
import { newShapeForSpacing } from './resample.js';
import { paddingToPatch } from './window.js';
import { SlabAccumulator, StreamingExporter } from './stream.js';
import type { AccumulatorType } from './predict.js';
import type { NnunetPlan } from './preprocess.js';

export interface NnunetMemoryPlan {
  /** The network grid (no crop assumed: the largest it can be) and its padded shape. */
  networkGrid: Shape3;
  padded: Shape3;
  imageBytes: number;
  slabBytes: number;
  tileOutputBytes: number;
  exporterBytes: number;
  /** The sum of the above. */
  totalBytes: number;
}

export function planStreamingMemory(
  shapeKji: Shape3,
  spacingKji: readonly number[],
  plan: Pick<NnunetPlan, 'transposeForward' | 'spacing' | 'patchSize' | 'useMirroring' | 'resamplingProbabilities'>,
  classes: number,
  nFolds = 1,
  accType: AccumulatorType = 'float16',
): NnunetMemoryPlan {
  const shape = plan.transposeForward.map((a) => shapeKji[a]) as Shape3;
  const spacing = plan.transposeForward.map((a) => spacingKji[a]);
  const networkGrid = newShapeForSpacing(shape, spacing, plan.spacing);
  const pads = paddingToPatch(networkGrid, plan.patchSize);
  const padded = networkGrid.map((s, i) => s + pads[i][0] + pads[i][1]) as Shape3;
  const patch = plan.patchSize as Shape3;
  const imageBytes = 4 * size3(padded);
  const slabBytes = SlabAccumulator.plannedBytes(accType, classes, padded, patch[0], nFolds);
  const tileOutputBytes = (plan.useMirroring ? 3 : 2) * 4 * classes * size3(patch);
  const exporterBytes = StreamingExporter.plannedBytes(
    networkGrid,
    shape,
    classes,
    Math.max(plan.resamplingProbabilities.order, plan.resamplingProbabilities.orderZ),
  );
  return { networkGrid, padded, imageBytes, slabBytes, tileOutputBytes, exporterBytes, totalBytes: imageBytes + slabBytes + tileOutputBytes + exporterBytes };
}
