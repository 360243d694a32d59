// A minimal protobuf writer for the few ONNX messages the measurement graph needs (ModelProto, GraphProto,
// NodeProto, AttributeProto, TensorProto, ValueInfoProto); field numbers from onnx/onnx.proto.

/** ONNX TensorProto.DataType codes. */
export const ONNX_TYPE = { float: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, double: 11, uint32: 12 } as const;
export type OnnxTypeName = keyof typeof ONNX_TYPE;

type Field = Uint8Array;

function varint(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`varint needs a non-negative safe integer, got ${n}`);
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function intField(field: number, value: number): Field {
  return Uint8Array.from([...varint(field * 8), ...varint(value)]);
}

function bytesField(field: number, bytes: Uint8Array): Field {
  return concat([Uint8Array.from([...varint(field * 8 + 2), ...varint(bytes.length)]), bytes]);
}

function strField(field: number, s: string): Field {
  return bytesField(field, new TextEncoder().encode(s));
}

export interface TensorSpec {
  name?: string;
  type: OnnxTypeName;
  dims: number[];
  /** Little-endian element bytes. */
  raw: Uint8Array;
}

export function tensorProto(t: TensorSpec): Uint8Array {
  return concat([...t.dims.map((d) => intField(1, d)), intField(2, ONNX_TYPE[t.type]), ...(t.name ? [strField(8, t.name)] : []), bytesField(9, t.raw)]);
}

export type AttributeValue = { int: number } | { string: string } | { tensor: TensorSpec };

function attributeProto(name: string, value: AttributeValue): Uint8Array {
  if ('int' in value) return concat([strField(1, name), intField(3, value.int), intField(20, 2)]);
  if ('string' in value) return concat([strField(1, name), strField(4, value.string), intField(20, 3)]);
  return concat([strField(1, name), bytesField(5, tensorProto(value.tensor)), intField(20, 4)]);
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

function nodeProto(n: NodeSpec, index: number): Uint8Array {
  return concat([
    ...n.inputs.map((s) => strField(1, s)),
    ...n.outputs.map((s) => strField(2, s)),
    strField(3, `${n.op}_${index}`),
    strField(4, n.op),
    ...Object.entries(n.attributes ?? {}).map(([k, v]) => bytesField(5, attributeProto(k, v))),
  ]);
}

export interface ValueSpec {
  name: string;
  type: OnnxTypeName;
  /** A number is a fixed size, a string a symbolic (dynamic) dimension. */
  shape: (number | string)[];
}

function valueInfoProto(v: ValueSpec): Uint8Array {
  const dims = v.shape.map((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : strField(2, d)));
  const tensorType = concat([intField(1, ONNX_TYPE[v.type]), bytesField(2, concat(dims))]);
  return concat([strField(1, v.name), bytesField(2, bytesField(1, tensorType))]);
}

export interface ModelSpec {
  opset: number;
  nodes: NodeSpec[];
  initializers: TensorSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
}

/** Serialized ModelProto, ready for InferenceSession.create(bytes). */
export function encodeModel(m: ModelSpec): Uint8Array {
  const graph = concat([
    ...m.nodes.map((n, i) => bytesField(1, nodeProto(n, i))),
    strField(2, 'medseg_measure'),
    ...m.initializers.map((t) => bytesField(5, tensorProto(t))),
    ...m.inputs.map((v) => bytesField(11, valueInfoProto(v))),
    ...m.outputs.map((v) => bytesField(12, valueInfoProto(v))),
  ]);
  // IR version 8 is the one that goes with opset 18.
  const opset = concat([strField(1, ''), intField(2, m.opset)]);
  return concat([intField(1, 8), strField(2, 'medseg'), bytesField(7, graph), bytesField(8, opset)]);
}

export function float64Raw(values: number[]): Uint8Array {
  return new Uint8Array(Float64Array.from(values).buffer);
}
