// The shared core of every adapter (Electron IPC, HTTP): check the method name, validate input BEFORE any service
// runs, call the implementation, and turn thrown errors into data. No electron import: unit-testable in Node.
import { AppError, toErrorData } from '../../shared/errors.js';
import { isMethodName, methods, type RpcReply } from '../../shared/ipc/contract.js';
import type { CallContext, ServiceTable } from '../methods/types.js';

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
