// Keeps one edit session per segmentation for the method table: handlers are stateless calls, while a session
// holds the live label map between them. Two sessions on one journal would refuse each other (CONFLICT).
import type { Database } from 'better-sqlite3';
import type { VoxelArray } from '../../../shared/domain/volume.js';
import { openEditSession, type EditSession, type EditSessionOptions } from './session.js';

export class EditSessionRegistry {
  private readonly sessions = new Map<number, EditSession>();

  constructor(
    private readonly db: Database,
    /** Image values on the segmentation's grid, for threshold-limited tools; undefined disables them. */
    private readonly loadModality?: (segmentationId: number) => VoxelArray | undefined,
    private readonly options: Omit<EditSessionOptions, 'modality'> = {},
  ) {}

  /** The open session of the segmentation, opening it (and loading its image values) on first use. */
  session(segmentationId: number): EditSession {
    let s = this.sessions.get(segmentationId);
    if (!s) {
      s = openEditSession(this.db, segmentationId, { ...this.options, modality: this.loadModality?.(segmentationId) });
      this.sessions.set(segmentationId, s);
    }
    return s;
  }

  /** Stores pending snapshots and releases the session's label map. */
  async close(segmentationId: number): Promise<void> {
    const s = this.sessions.get(segmentationId);
    if (!s) return;
    this.sessions.delete(segmentationId);
    await s.flush();
    s.close();
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.sessions.keys()]) await this.close(id);
  }
}
