// The bench's ONNX Runtime reduction graph (built in code) against the typed-array path the product uses, and its
// protobuf checked by the onnx Python package.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNifti, readNiftiLabels } from '../../../main/services/nifti/nifti.js';
import { buildReductionModel, labelReductionsOnnx } from '../../bench/onnxReductions/reductionsOnnx.js';
import { labelReductions } from '../../../shared/domain/measure/reductions.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import type { Volume } from '../../../shared/domain/volume.js';
import { python, TS_DIR } from '../../helpers/measureHelpers.js';

let ct: Volume;
let seg: LabelMap;

beforeAll(async () => {
  ct = (await readNifti(path.join(TS_DIR, 'example_ct_sm.nii.gz'))).volume;
  seg = { ...(await readNiftiLabels(path.join(TS_DIR, 'example_seg.nii.gz'))), table: [] };
});

describe('labelReductionsOnnx', () => {
  it('is identical to the typed-array path on the real CT (int16), in one chunk and in many', async () => {
    expect(ct.voxels).toBeInstanceOf(Int16Array);
    const ref = labelReductions(seg.labels, ct.voxels, 256);
    for (const chunkVoxels of [undefined, 100_003]) {
      const onnx = await labelReductionsOnnx(seg.labels, ct.voxels, 256, { chunkVoxels });
      expect(onnx).toEqual(ref);
    }
    expect(ref.count[5]).toBe(38634);
  });

  it('agrees on float32 values and uint16 labels (to rounding: summation order differs)', async () => {
    const values = Float32Array.from(ct.voxels, (v, p) => v + (p % 7) * 0.125 + 0.1);
    const labels = Uint16Array.from(seg.labels, (l) => (l === 0 ? 0 : l + 1000));
    const ref = labelReductions(labels, values, 1200);
    const onnx = await labelReductionsOnnx(labels, values, 1200, { chunkVoxels: 65536 });
    expect(onnx.count).toEqual(ref.count);
    expect(onnx.min).toEqual(ref.min);
    expect(onnx.max).toEqual(ref.max);
    for (let l = 0; l < 1200; l++) {
      expect(Math.abs(onnx.sum[l] - ref.sum[l])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ref.sum[l])));
      expect(Math.abs(onnx.sumSq[l] - ref.sumSq[l])).toBeLessThanOrEqual(1e-9 * Math.max(1, ref.sumSq[l]));
    }
  });

  it('refuses a label beyond the accumulator size instead of failing inside the graph', async () => {
    await expect(labelReductionsOnnx(Uint8Array.from([0, 9]), Int16Array.from([1, 2]), 5)).rejects.toThrow(/label 9/);
  });

  it('writes a ModelProto the onnx package parses into the intended graph', () => {
    const bytes = buildReductionModel('uint8', 'int16', 42);
    const parsed = python<{ ops: string[]; ir: number; opset: number; inputs: [string, number][]; outputs: string[]; reductions: string[] }>(
      `
import sys, json, onnx
m = onnx.load_from_string(sys.stdin.buffer.read())
g = m.graph
print(json.dumps(dict(ops=[n.op_type for n in g.node], ir=m.ir_version, opset=m.opset_import[0].version,
  inputs=[[i.name, i.type.tensor_type.elem_type] for i in g.input], outputs=[o.name for o in g.output],
  reductions=[a.s.decode() for n in g.node for a in n.attribute if a.name == 'reduction'])))
`,
      Buffer.from(bytes),
    );
    expect(parsed).toEqual({
      ops: ['Cast', 'Cast', 'Mul', 'Shape', 'ConstantOfShape', 'ScatterElements', 'ScatterElements', 'ScatterElements', 'ScatterElements', 'ScatterElements'],
      ir: 8,
      opset: 18,
      inputs: [
        ['labels', 2],
        ['values', 5],
      ],
      outputs: ['count', 'sum', 'sumSq', 'min', 'max'],
      reductions: ['add', 'add', 'add', 'min', 'max'],
    });
  });
});
