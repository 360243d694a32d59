// The shared core of every adapter (Electron IPC, HTTP): check the method name, validate input BEFORE any service
// runs, call the implementation, and turn thrown errors into data. No electron import: unit-testable in Node.
import { AppError, toErrorData } from '../../shared/ipc/errors.js';
import {
  isMethodName,
  methods,
  type BinaryBox,
  type BinaryKind,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  type RpcReply,
  type VoxelDtype,
} from '../../shared/ipc/contract.js';

export interface CallContext {
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  signal?: AbortSignal;
}

export type MethodImpls = {
  [M in MethodName]: (input: MethodInput<M>, ctx: CallContext) => Promise<MethodOutput<M>>;
};

export interface BinaryResource {
  bytes: Uint8Array;
  dtype: VoxelDtype;
}

/** What an adapter serves: the method table plus the binary resources keyed by id. */
export interface ServiceTable {
  methods: MethodImpls;
  /** box: only that region of a label map (an edit's changed region). */
  readBinary(kind: BinaryKind, resourceId: number, box?: BinaryBox): Promise<BinaryResource>;
}

export async function dispatch(table: ServiceTable, name: string, rawInput: unknown, ctx: CallContext): Promise<RpcReply<unknown>> {
  try {
    if (!isMethodName(name)) throw new AppError('NOT_FOUND', `unknown method '${name.slice(0, 80)}'`);
    const parsed = methods[name].input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new AppError('INVALID_INPUT', `${name}: ${first ? `${first.path.join('.') || 'input'}: ${first.message}` : 'invalid input'}`);
    }
    const impl = table.methods[name] as (input: unknown, ctx: CallContext) => Promise<unknown>;
    const result = await impl(parsed.data, ctx);
    // The output schema is checked too: a service drifting from the contract is a bug we want loud, not a UI guess.
    const out = methods[name].output.safeParse(result);
    if (!out.success) throw new AppError('INTERNAL', `${name}: service returned data outside the contract: ${out.error.issues[0]?.message ?? ''}`);
    return { ok: true, result: out.data };
  } catch (err) {
    return { ok: false, error: toErrorData(err) };
  }
}
