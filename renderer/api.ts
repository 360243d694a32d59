// Typed client of the method table: the Electron preload bridge when present, else HTTP to `medseg serve` with the
// bearer token read ONCE from ?token= and then stripped from the address bar. Chosen once at start-up.
import type { BinaryBox, BinaryKind, EventName, EventPayload, MethodInput, MethodName, MethodOutput, RpcReply, VoxelDtype } from '../shared/ipc/contract.js';
import { isVoxelDtype } from '../shared/domain/dtypes.js';
import { binaryPath } from '../shared/ipc/contract.js';
import type { ErrorCode } from '../shared/errors.js';

/** What main/preload.cts exposes on window.medseg. */
export interface MedsegBridge {
  invoke(method: string, input: unknown): Promise<RpcReply<unknown>>;
  subscribe(event: string, listener: (payload: unknown) => void): () => void;
  /** Origin of the voxel-data protocol, e.g. "medseg-data://local". */
  dataOrigin: string;
  /** Local path of a dropped File (Electron only). */
  pathForFile(file: File): string;
}

declare global {
  interface Window {
    medseg?: MedsegBridge;
  }
}

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'HTTP',
    message: string,
  ) {
    super(message);
  }
}

export interface Api {
  readonly mode: 'electron' | 'http';
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** box: only that region of a label map (labelmap only); sliceK: which slice (volume-slice only). */
  fetchBinary(kind: BinaryKind, resourceId: number, box?: BinaryBox, sliceK?: number): Promise<{ buffer: ArrayBuffer; dtype: VoxelDtype }>;
}

function unwrap<T>(reply: RpcReply<unknown>): T {
  if (!reply.ok) throw new ApiError(reply.error.code, reply.error.message);
  return reply.result as T;
}

async function readBinaryResponse(res: Response): Promise<{ buffer: ArrayBuffer; dtype: VoxelDtype }> {
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as RpcReply<unknown> | null;
    if (body && !body.ok) throw new ApiError(body.error.code, body.error.message);
    throw new ApiError('HTTP', `HTTP ${res.status}`);
  }
  const dtype = res.headers.get('x-medseg-dtype');
  if (!isVoxelDtype(dtype)) throw new ApiError('HTTP', `binary response without a known X-Medseg-Dtype (${String(dtype)})`);
  return { buffer: await res.arrayBuffer(), dtype };
}

function electronApi(bridge: MedsegBridge): Api {
  return {
    mode: 'electron',
    call: async (method, input) => unwrap(await bridge.invoke(method, input)),
    subscribe: (event, listener) => bridge.subscribe(event, listener as (p: unknown) => void),
    fetchBinary: async (kind, resourceId, box, sliceK) => readBinaryResponse(await fetch(`${bridge.dataOrigin}${binaryPath(kind, resourceId, box, sliceK)}`)),
  };
}

function httpApi(token: string): Api {
  const auth = { Authorization: `Bearer ${token}` };
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let streaming = false;

  // EventSource cannot send an Authorization header, so the event stream is read with fetch.
  const openStream = async (): Promise<void> => {
    streaming = true;
    try {
      const res = await fetch('/events', { headers: auth });
      if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let pending = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += value;
        let cut: number;
        while ((cut = pending.indexOf('\n\n')) >= 0) {
          const frame = pending.slice(0, cut);
          pending = pending.slice(cut + 2);
          const name = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (name && data) for (const l of listeners.get(name) ?? []) l(JSON.parse(data));
        }
      }
    } catch {
      // The stream only carries progress; a dropped stream must not break the page.
    } finally {
      streaming = false;
    }
  };

  return {
    mode: 'http',
    call: async (method, input) => {
      const res = await fetch(`/rpc/${method}`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(input) });
      const body = (await res.json().catch(() => null)) as RpcReply<unknown> | null;
      if (!body) throw new ApiError('HTTP', `HTTP ${res.status}`);
      return unwrap(body);
    },
    subscribe: (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (p: unknown) => void);
      listeners.set(event, set);
      if (!streaming) void openStream();
      return () => set.delete(listener as (p: unknown) => void);
    },
    fetchBinary: async (kind, resourceId, box, sliceK) => readBinaryResponse(await fetch(binaryPath(kind, resourceId, box, sliceK), { headers: auth })),
  };
}

function chooseApi(): Api {
  if (window.medseg) return electronApi(window.medseg);
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token') ?? sessionStorage.getItem('medseg.token') ?? '';
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    // Keep it out of history, bookmarks and screenshots; sessionStorage survives a reload of this tab only.
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    sessionStorage.setItem('medseg.token', token);
  }
  return httpApi(token);
}

export const api: Api = chooseApi();
