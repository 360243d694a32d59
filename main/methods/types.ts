// What the method table is, as the services implement it and the adapters (Electron IPC, HTTP, CLI) serve it:
// one typed implementation per contract entry, plus binary resources (voxels, thumbnails) keyed by id.
import type { Database } from 'better-sqlite3';
import type { BinaryBox, BinaryKind, EventName, EventPayload, MethodInput, MethodName, MethodOutput, VoxelDtype } from '../../shared/ipc/contract.js';
import type { EditSessionRegistryOptions } from '../services/editing/registry.js';

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
  /** sliceK: which slice of a 'volume-slice' (the series being opened progressively). */
  readBinary(kind: BinaryKind, resourceId: number, box?: BinaryBox, sliceK?: number): Promise<BinaryResource>;
  /**
   * Shutdown, in order: cancel running model jobs (they store nothing) and wait for them to stop, store the edit
   * sessions' pending snapshots, close the database. Calls after it are refused. Idempotent.
   */
  close(): Promise<void>;
}

export interface ServiceDeps {
  db: Database;
  mode: 'electron' | 'http';
  appVersion: string;
  /** Native file/folder picker; only the Electron shell has one. */
  pickPaths?: (kind: 'files' | 'folder') => Promise<string[]>;
  /** Edit-session limits and snapshot timing (tests shorten them). */
  editSessions?: EditSessionRegistryOptions;
  /** close(): how long to wait for calls already running (default CLOSE_GRACE_MS). */
  closeGraceMs?: number;
}
