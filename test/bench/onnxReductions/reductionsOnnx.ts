// Per-label reductions (count, sum, sum of squares, min, max) as a small ONNX graph built in code and run on ONNX
// Runtime. Kept for the bench only: on CPU it is ~30x slower than the typed-array path the product uses
// (shared/domain/measure/reductions.ts), and no GPU was available to show it helps; on integer volumes both agree.
import * as ort from 'onnxruntime-node';
import { emptyReductions, type LabelReductions } from '../../../shared/domain/measure/reductions.js';
import type { VoxelArray } from '../../../shared/domain/volume.js';
import { dtypeOf, type VoxelDtype } from '../../../shared/domain/dtypes.js';
import { encodeModel, float64Raw, type OnnxTypeName } from './onnxProto.js';

/** Voxels per run: bounds memory (the graph holds a few doubles per voxel of a chunk). */
export const DEFAULT_CHUNK_VOXELS = 1 << 22;

const ORT_TYPE: Record<VoxelDtype, { onnx: OnnxTypeName; ort: ort.Tensor.Type }> = {
  uint8: { onnx: 'uint8', ort: 'uint8' },
  int8: { onnx: 'int8', ort: 'int8' },
  uint16: { onnx: 'uint16', ort: 'uint16' },
  int16: { onnx: 'int16', ort: 'int16' },
  int32: { onnx: 'int32', ort: 'int32' },
  uint32: { onnx: 'uint32', ort: 'uint32' },
  float32: { onnx: 'float', ort: 'float32' },
  float64: { onnx: 'double', ort: 'float64' },
};

function typeOf(a: VoxelArray): { onnx: OnnxTypeName; ort: ort.Tensor.Type } {
  return ORT_TYPE[dtypeOf(a)];
}

/**
 * The graph: labels -> int64 indices, values -> double; five ScatterElements (opset 18: reduction add/min/max)
 * into [size] accumulators. A label >= size would make ScatterElements fail, so callers pass size = max label + 1.
 */
export function buildReductionModel(labelType: OnnxTypeName, valueType: OnnxTypeName, size: number): Uint8Array {
  const scatter = (data: string, updates: string, out: string, reduction: string) => ({
    op: 'ScatterElements',
    inputs: [data, 'idx', updates],
    outputs: [out],
    attributes: { axis: { int: 0 }, reduction: { string: reduction } },
  });
  return encodeModel({
    opset: 18,
    inputs: [
      { name: 'labels', type: labelType, shape: ['n'] },
      { name: 'values', type: valueType, shape: ['n'] },
    ],
    outputs: ['count', 'sum', 'sumSq', 'min', 'max'].map((name) => ({ name, type: 'double' as const, shape: [size] })),
    initializers: [
      { name: 'zeros', type: 'double', dims: [size], raw: float64Raw(new Array<number>(size).fill(0)) },
      { name: 'posInf', type: 'double', dims: [size], raw: float64Raw(new Array<number>(size).fill(Infinity)) },
      { name: 'negInf', type: 'double', dims: [size], raw: float64Raw(new Array<number>(size).fill(-Infinity)) },
    ],
    nodes: [
      { op: 'Cast', inputs: ['labels'], outputs: ['idx'], attributes: { to: { int: 7 } } },
      { op: 'Cast', inputs: ['values'], outputs: ['v'], attributes: { to: { int: 11 } } },
      { op: 'Mul', inputs: ['v', 'v'], outputs: ['v2'] },
      { op: 'Shape', inputs: ['v'], outputs: ['n'] },
      { op: 'ConstantOfShape', inputs: ['n'], outputs: ['ones'], attributes: { value: { tensor: { type: 'double', dims: [1], raw: float64Raw([1]) } } } },
      scatter('zeros', 'ones', 'count', 'add'),
      scatter('zeros', 'v', 'sum', 'add'),
      scatter('zeros', 'v2', 'sumSq', 'add'),
      scatter('posInf', 'v', 'min', 'min'),
      scatter('negInf', 'v', 'max', 'max'),
    ],
  });
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function sessionFor(labelType: OnnxTypeName, valueType: OnnxTypeName, size: number, provider: string): Promise<ort.InferenceSession> {
  const key = `${labelType}/${valueType}/${size}/${provider}`;
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(buildReductionModel(labelType, valueType, size), { executionProviders: [provider] });
    sessions.set(key, s);
    s.catch(() => sessions.delete(key));
  }
  return s;
}

/** Same contract as labelReductions, run through ONNX Runtime in chunks of `chunkVoxels`. */
export async function labelReductionsOnnx(
  labels: Uint8Array | Uint16Array,
  values: VoxelArray,
  size: number,
  opts: { provider?: string; chunkVoxels?: number } = {},
): Promise<LabelReductions> {
  if (labels.length !== values.length) throw new Error('labels and values differ in length');
  if (!Number.isInteger(size) || size < 1 || size > 65536) throw new Error(`label count must be 1..65536, got ${size}`);
  for (let p = 0; p < labels.length; p++) if (labels[p] >= size) throw new Error(`label ${labels[p]} >= size ${size}`);
  const lt = typeOf(labels);
  const vt = typeOf(values);
  const session = await sessionFor(lt.onnx, vt.onnx, size, opts.provider ?? 'cpu');
  const chunk = opts.chunkVoxels ?? DEFAULT_CHUNK_VOXELS;
  const acc = emptyReductions(size);
  for (let start = 0; start < labels.length; start += chunk) {
    const end = Math.min(labels.length, start + chunk);
    const feeds = {
      labels: new ort.Tensor(lt.ort, labels.subarray(start, end) as never, [end - start]),
      values: new ort.Tensor(vt.ort, values.subarray(start, end) as never, [end - start]),
    };
    const out = await session.run(feeds);
    const get = (name: string): Float64Array => out[name].data as Float64Array;
    const [count, sum, sumSq, min, max] = ['count', 'sum', 'sumSq', 'min', 'max'].map(get);
    for (let l = 0; l < size; l++) {
      acc.count[l] += count[l];
      acc.sum[l] += sum[l];
      acc.sumSq[l] += sumSq[l];
      if (min[l] < acc.min[l]) acc.min[l] = min[l];
      if (max[l] > acc.max[l]) acc.max[l] = max[l];
    }
  }
  return acc;
}
