// The streaming 3D path's planned buffers: the slab accumulator allocates what its plan says, and the case
// (41 classes, 512 x 512 x 300 CT at 0.8 x 0.8 x 1.5 mm, network at 1.5 mm iso, patch 128^3) plans well under 2 GB
// before the network's activations (the bench measures the real peak; no timing or RSS assertion here).
import { describe, expect, it } from 'vitest';
import { SlabAccumulator, StreamingExporter } from '../../../shared/domain/nnunet/stream.js';
import { planStreamingMemory } from '../../../shared/domain/nnunet/memoryPlan.js';

const MB = 2 ** 20;
const plan = {
  transposeForward: [0, 1, 2],
  spacing: [1.5, 1.5, 1.5],
  patchSize: [128, 128, 128],
  useMirroring: false,
  resamplingProbabilities: { order: 1, orderZ: 0, forceSeparateZ: null, anisotropyThreshold: 3 },
};

describe('3D streaming memory plan', () => {
  it('the slab accumulator holds exactly its planned bytes (float16 and float32, one and two folds)', () => {
    for (const [type, folds] of [
      ['float16', 1],
      ['float32', 2],
    ] as const) {
      const slab = new SlabAccumulator(type, 5, [20, 9, 7], 8, folds);
      expect(slab.bytes).toBe(SlabAccumulator.plannedBytes(type, 5, [20, 9, 7], 8, folds));
      expect(slab.bytes).toBe(folds * 5 * 8 * 9 * 7 * (type === 'float16' ? 2 : 4) + 2 * 8 * 9 * 7);
    }
  });

  it('41 classes on 512 x 512 x 300 at 0.8 x 0.8 x 1.5 mm: a one-patch-deep float16 slab and under 1.75 GB in all', () => {
    const p = planStreamingMemory([300, 512, 512], [1.5, 0.8, 0.8], plan, 41);
    expect(p.networkGrid).toEqual([300, 273, 273]);
    expect(p.padded).toEqual([300, 273, 273]);
    expect(p.slabBytes).toBe(41 * 128 * 273 * 273 * 2 + 128 * 273 * 273 * 2);
    // the whole-grid float16 sums (nnU-Net's form) would be 41 x 300 x 273^2 x 2 bytes: the slab is 128/300 of that
    expect(p.slabBytes).toBeLessThan(0.45 * 41 * 300 * 273 * 273 * 2);
    // the exporter keeps float32 network planes, not float64 all-class planes on the 512 x 512 grid
    expect(p.exporterBytes).toBeLessThan(128 * MB);
    expect(p.exporterBytes).toBe(StreamingExporter.plannedBytes([300, 273, 273], [300, 512, 512], 41, 1));
    expect(p.tileOutputBytes).toBe(2 * 41 * 128 ** 3 * 4);
    expect(p.totalBytes).toBeLessThan(1.75 * 1024 * MB);
    expect(planStreamingMemory([300, 512, 512], [1.5, 0.8, 0.8], { ...plan, useMirroring: true }, 41).tileOutputBytes).toBe(3 * 41 * 128 ** 3 * 4);
  });
});
