// Reads what model validation needs from an .onnx file (opsets, graph input/output names and shapes) without
// creating a session: a minimal protobuf walk over ModelProto that skips the weights by length.
import { AppError } from '../../../shared/errors.js';

export interface OnnxTensorInfo {
  name: string;
  /** ONNX TensorProto element type (1 = float32). */
  elemType: number;
  /** A number for a fixed axis, a string for a named dynamic axis, null when unknown. */
  shape: (number | string | null)[];
}

export interface OnnxInfo {
  irVersion: number;
  /** Opset version per domain ('' = the default ai.onnx domain). */
  opsets: Map<string, number>;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** ModelProto.metadata_props: free key/value strings an exporter wrote (e.g. the nnU-Net export's provenance). */
  metadata: Map<string, string>;
}

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }
  done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    // Values here (versions, lengths, dims) fit a double; multiply instead of shifting to pass 32 bits.
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) throw new AppError('MODEL_INVALID', 'model.onnx is truncated (varint past the end).');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
      if (mul > 2 ** 63) throw new AppError('MODEL_INVALID', 'model.onnx is not a protobuf ONNX model (varint too long).');
    }
  }
  /** Returns [field, wireType]; for length-delimited fields also the sub-range. */
  next(): { field: number; wire: number; start: number; end: number; value: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) return { field, wire, start: 0, end: 0, value: this.varint() };
    if (wire === 2) {
      const len = this.varint();
      const start = this.pos;
      const end = start + len;
      if (end > this.end) throw new AppError('MODEL_INVALID', 'model.onnx is truncated (field past the end).');
      this.pos = end;
      return { field, wire, start, end, value: len };
    }
    if (wire === 1) {
      this.pos += 8;
      return { field, wire, start: 0, end: 0, value: 0 };
    }
    if (wire === 5) {
      this.pos += 4;
      return { field, wire, start: 0, end: 0, value: 0 };
    }
    throw new AppError('MODEL_INVALID', `model.onnx is not a protobuf ONNX model (wire type ${wire}).`);
  }
  sub(start: number, end: number): Reader {
    return new Reader(this.buf, start, end);
  }
  text(start: number, end: number): string {
    return new TextDecoder().decode(this.buf.subarray(start, end));
  }
}

function readValueInfo(r: Reader): OnnxTensorInfo {
  const info: OnnxTensorInfo = { name: '', elemType: 0, shape: [] };
  while (!r.done()) {
    const f = r.next();
    if (f.field === 1 && f.wire === 2) info.name = r.text(f.start, f.end);
    else if (f.field === 2 && f.wire === 2) {
      // TypeProto.tensor_type (1) -> elem_type (1), shape (2) -> dim (1) -> dim_value (1) | dim_param (2)
      const t = r.sub(f.start, f.end);
      while (!t.done()) {
        const tf = t.next();
        if (tf.field !== 1 || tf.wire !== 2) continue;
        const tensor = t.sub(tf.start, tf.end);
        while (!tensor.done()) {
          const g = tensor.next();
          if (g.field === 1 && g.wire === 0) info.elemType = g.value;
          else if (g.field === 2 && g.wire === 2) {
            const shape = tensor.sub(g.start, g.end);
            while (!shape.done()) {
              const d = shape.next();
              if (d.field !== 1 || d.wire !== 2) continue;
              const dim = shape.sub(d.start, d.end);
              let value: number | string | null = null;
              while (!dim.done()) {
                const x = dim.next();
                if (x.field === 1 && x.wire === 0) value = x.value;
                else if (x.field === 2 && x.wire === 2) value = dim.text(x.start, x.end);
              }
              info.shape.push(value);
            }
          }
        }
      }
    }
  }
  return info;
}

export function readOnnxInfo(bytes: Uint8Array): OnnxInfo {
  const r = new Reader(bytes);
  const info: OnnxInfo = { irVersion: 0, opsets: new Map(), inputs: [], outputs: [], metadata: new Map() };
  let sawGraph = false;
  while (!r.done()) {
    const f = r.next();
    if (f.field === 1 && f.wire === 0) info.irVersion = f.value;
    else if (f.field === 8 && f.wire === 2) {
      const o = r.sub(f.start, f.end);
      let domain = '';
      let version = 0;
      while (!o.done()) {
        const g = o.next();
        if (g.field === 1 && g.wire === 2) domain = o.text(g.start, g.end);
        else if (g.field === 2 && g.wire === 0) version = g.value;
      }
      info.opsets.set(domain === 'ai.onnx' ? '' : domain, version);
    } else if (f.field === 14 && f.wire === 2) {
      // StringStringEntryProto: key (1), value (2)
      const e = r.sub(f.start, f.end);
      let key = '';
      let value = '';
      while (!e.done()) {
        const g = e.next();
        if (g.field === 1 && g.wire === 2) key = e.text(g.start, g.end);
        else if (g.field === 2 && g.wire === 2) value = e.text(g.start, g.end);
      }
      info.metadata.set(key, value);
    } else if (f.field === 7 && f.wire === 2) {
      sawGraph = true;
      const g = r.sub(f.start, f.end);
      const initializers = new Set<string>();
      const inputs: OnnxTensorInfo[] = [];
      while (!g.done()) {
        const x = g.next();
        if (x.field === 11 && x.wire === 2) inputs.push(readValueInfo(g.sub(x.start, x.end)));
        else if (x.field === 12 && x.wire === 2) info.outputs.push(readValueInfo(g.sub(x.start, x.end)));
        else if (x.field === 5 && x.wire === 2) {
          // initializer name (TensorProto field 8): old exporters list weights as graph inputs too
          const t = g.sub(x.start, x.end);
          while (!t.done()) {
            const y = t.next();
            if (y.field === 8 && y.wire === 2) initializers.add(t.text(y.start, y.end));
          }
        }
      }
      info.inputs = inputs.filter((i) => !initializers.has(i.name));
    }
  }
  if (!sawGraph || info.irVersion === 0) throw new AppError('MODEL_INVALID', 'model.onnx has no ONNX graph (is it an ONNX file?).');
  return info;
}
