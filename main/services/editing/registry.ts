// Keeps the open edit sessions of the method table: handlers are stateless calls, while a session holds the live
// label map (and image values) between them. Two sessions on one journal would refuse each other (CONFLICT).
// Each session holds megabytes, so the least recently used go past a count and any left idle go after a while;
// a session leaves by storing its pending snapshot first. Every stroke is already committed, so nothing is lost.
import type { Database } from 'better-sqlite3';
import type { VoxelArray } from '../../../shared/domain/volume.js';
import { openEditSession, type EditSession, type EditSessionOptions } from './session.js';

/** Sessions kept open at most (a 512×512×300 CT: ~80 MB of labels plus ~160 MB of image values each). */
export const DEFAULT_MAX_SESSIONS = 4;
/** A session unused this long is released. */
export const DEFAULT_SESSION_IDLE_MS = 5 * 60_000;

export interface EditSessionRegistryOptions extends Omit<EditSessionOptions, 'modality'> {
  maxSessions?: number;
  idleMs?: number;
  /** The clock idleness is measured by (tests pass their own). */
  now?: () => number;
}

interface Entry {
  session: EditSession;
  modality: VoxelArray | undefined;
  lastUsedMs: number;
}

export class EditSessionRegistry {
  /** In least-recently-used order: a Map iterates in insertion order and a use re-inserts. */
  private readonly sessions = new Map<number, Entry>();
  /** Releases under way (snapshots being stored), awaited by closeAll. */
  private readonly releasing = new Set<Promise<void>>();
  private readonly maxSessions: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly sessionOptions: Omit<EditSessionOptions, 'modality'>;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly db: Database,
    /** Image values on the segmentation's grid, for threshold-limited tools; undefined disables them. */
    private readonly loadModality?: (segmentationId: number) => VoxelArray | undefined,
    options: EditSessionRegistryOptions = {},
  ) {
    const { maxSessions = DEFAULT_MAX_SESSIONS, idleMs = DEFAULT_SESSION_IDLE_MS, now = Date.now, ...sessionOptions } = options;
    if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new RangeError(`maxSessions must be a whole number ≥ 1 (got ${maxSessions})`);
    this.maxSessions = maxSessions;
    this.idleMs = idleMs;
    this.now = now;
    this.sessionOptions = sessionOptions;
  }

  /** The open session of the segmentation, opening it (and loading its image values) on first use. */
  session(segmentationId: number): EditSession {
    let entry = this.sessions.get(segmentationId);
    if (entry) {
      this.sessions.delete(segmentationId);
    } else {
      entry = this.open(segmentationId, this.loadModality?.(segmentationId));
    }
    entry.lastUsedMs = this.now();
    this.sessions.set(segmentationId, entry);
    for (const id of this.sessions.keys()) {
      if (this.sessions.size <= this.maxSessions) break;
      if (id !== segmentationId) this.release(id);
    }
    this.armSweep();
    return entry.session;
  }

  /** The open session, if any, without opening one or counting as a use. */
  peek(segmentationId: number): EditSession | undefined {
    return this.sessions.get(segmentationId)?.session;
  }

  /** Whether the open session was given image values (threshold tools work). */
  hasModality(segmentationId: number): boolean {
    return this.sessions.get(segmentationId)?.modality !== undefined;
  }

  /**
   * Replaces an open session by one read afresh from the journal, with the same image values: after another
   * process moved the journal (CONFLICT) the old one is stale. Nothing happens when none is open.
   */
  async reopen(segmentationId: number): Promise<void> {
    const old = this.sessions.get(segmentationId);
    if (!old) return;
    await this.release(segmentationId);
    if (this.sessions.has(segmentationId)) return; // opened again meanwhile, already from the journal
    this.sessions.set(segmentationId, { ...this.open(segmentationId, old.modality), lastUsedMs: this.now() });
    this.armSweep();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Releases every session unused for idleMs; runs on a timer, callable directly. */
  evictIdle(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [id, entry] of this.sessions) if (entry.lastUsedMs <= cutoff) this.release(id);
  }

  /** Stores pending snapshots and releases the session's label map. */
  async close(segmentationId: number): Promise<void> {
    await this.release(segmentationId);
  }

  /** Closes every session and waits for releases already under way. */
  async closeAll(): Promise<void> {
    for (const id of [...this.sessions.keys()]) this.release(id);
    while (this.releasing.size > 0) await Promise.all([...this.releasing]);
  }

  /** Out of the map at once (the next use opens afresh from the journal); the snapshot is stored, then the map freed. */
  private release(segmentationId: number): Promise<void> {
    const entry = this.sessions.get(segmentationId);
    if (!entry) return Promise.resolve();
    this.sessions.delete(segmentationId);
    if (this.sessions.size === 0) this.disarmSweep();
    const s = entry.session;
    const task = s
      .flush()
      .catch(() => undefined) // a snapshot is a cache: failing to store one loses no edit
      .finally(() => {
        s.close();
        this.releasing.delete(task);
      });
    this.releasing.add(task);
    return task;
  }

  private open(segmentationId: number, modality: VoxelArray | undefined): Entry {
    return { session: openEditSession(this.db, segmentationId, { ...this.sessionOptions, modality }), modality, lastUsedMs: 0 };
  }

  private armSweep(): void {
    if (this.sweepTimer !== undefined || !Number.isFinite(this.idleMs)) return;
    this.sweepTimer = setInterval(() => this.evictIdle(), Math.max(10, Math.min(this.idleMs, 60_000)));
    // Releasing idle sessions must not keep a CLI or test process alive.
    this.sweepTimer.unref?.();
  }

  private disarmSweep(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
