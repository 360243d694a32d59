// Registers the method table on ipcMain: ONE channel; sender frame checked, then method name and input schema
// (dispatch), all before any service runs. No electron import: ipcMain is passed in (unit-testable).
import { dispatch } from '../adapters/dispatch.js';
import type { ServiceTable } from '../methods/types.js';
import { INVOKE_CHANNEL, isTrustedSender } from './security.js';
import type { EventName, EventPayload, RpcReply } from '../../shared/ipc/contract.js';

export interface InvokeEventLike {
  senderFrame: { url: string; parent: unknown } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
}

export function registerIpc(ipcMain: IpcMainLike, table: ServiceTable, emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void): void {
  ipcMain.handle(INVOKE_CHANNEL, async (event, method, input): Promise<RpcReply<unknown>> => {
    if (!isTrustedSender(event.senderFrame)) {
      return { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC refused: not the app frame' } };
    }
    if (typeof method !== 'string') return { ok: false, error: { code: 'INVALID_INPUT', message: 'method name must be a string' } };
    return dispatch(table, method, input, { emit });
  });
}
