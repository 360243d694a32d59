// Writes tiny ONNX networks for tests (no Python needed): one 1x1x1 convolution from `inChannels` to `outChannels`,
// input "input" [N, C, D, H, W] with dynamic batch and spatial axes, output "logits", optional metadata_props.
// Protobuf encoding by hand (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto field numbers of onnx.proto).

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function key(field: number, wire: number): number[] {
  return varint(field * 8 + wire);
}

function bytesField(field: number, bytes: number[] | Uint8Array): number[] {
  return [...key(field, 2), ...varint(bytes.length), ...bytes];
}

function stringField(field: number, s: string): number[] {
  return bytesField(field, new TextEncoder().encode(s));
}

function intField(field: number, n: number): number[] {
  return [...key(field, 0), ...varint(n)];
}

function tensor(name: string, dims: number[], values: Float32Array): number[] {
  return [
    ...dims.flatMap((d) => intField(1, d)),
    ...intField(2, 1), // FLOAT
    ...stringField(8, name),
    ...bytesField(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)),
  ];
}

function valueInfo(name: string, shape: (number | string)[]): number[] {
  const dims = shape.flatMap((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : stringField(2, d)));
  const tensorType = [...intField(1, 1), ...bytesField(2, dims)];
  return [...stringField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

export interface TinyConvOptions {
  inChannels?: number;
  outChannels: number;
  /** 3 (NCDHW, default) or 2 (NCHW). */
  spatialDims?: 2 | 3;
  inputName?: string;
  outputName?: string;
  /** Weight of output channel c (from every input channel); default c - (outChannels - 1) / 2. */
  weights?: number[];
  bias?: number[];
  metadata?: Record<string, string>;
  opset?: number;
}

/** The bytes of an ONNX model: logits[c] = weights[c] * sum(input channels) + bias[c], per voxel. */
export function tinyConvOnnx(o: TinyConvOptions): Uint8Array {
  const inC = o.inChannels ?? 1;
  const outC = o.outChannels;
  const nd = o.spatialDims ?? 3;
  const w = new Float32Array(outC * inC);
  for (let c = 0; c < outC; c++) w.fill(o.weights?.[c] ?? c - (outC - 1) / 2, c * inC, (c + 1) * inC);
  const b = Float32Array.from({ length: outC }, (_, c) => o.bias?.[c] ?? 0);
  const inputName = o.inputName ?? 'input';
  const outputName = o.outputName ?? 'logits';
  const spatial = nd === 3 ? ['d', 'h', 'w'] : ['h', 'w'];
  const node = [
    ...stringField(1, inputName),
    ...stringField(1, 'W'),
    ...stringField(1, 'B'),
    ...stringField(2, outputName),
    ...stringField(3, 'conv'),
    ...stringField(4, 'Conv'),
  ];
  const graph = [
    ...bytesField(1, node),
    ...stringField(2, 'tiny'),
    ...bytesField(5, tensor('W', [outC, inC, ...new Array<number>(nd).fill(1)], w)),
    ...bytesField(5, tensor('B', [outC], b)),
    ...bytesField(11, valueInfo(inputName, ['n', inC, ...spatial])),
    ...bytesField(12, valueInfo(outputName, ['n', outC, ...spatial])),
  ];
  const opset = [...stringField(1, ''), ...intField(2, o.opset ?? 17)];
  const meta = Object.entries(o.metadata ?? {}).flatMap(([k, v]) => bytesField(14, [...stringField(1, k), ...stringField(2, v)]));
  return Uint8Array.from([...intField(1, 8), ...stringField(2, 'medseg-test'), ...bytesField(8, opset), ...bytesField(7, graph), ...meta]);
}
