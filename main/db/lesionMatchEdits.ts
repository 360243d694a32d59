// The user's lesion-matching corrections per patient (timeline view), kept in the order they were made: the timeline
// applies them in that order on top of the automatic matching.
import type { Database } from 'better-sqlite3';

export interface StoredMatchEdit {
  id: number;
  /** caseKey of the earlier and the later study (main/services/batch/timeline.ts: series and measurement run). */
  fromCase: string;
  toCase: string;
  fromLesion: string;
  /** null: unpaired. */
  toLesion: string | null;
  createdAt: string;
}

export function listMatchEdits(db: Database, patientId: string): StoredMatchEdit[] {
  return db
    .prepare(
      `SELECT id, from_case AS fromCase, to_case AS toCase, from_lesion AS fromLesion, to_lesion AS toLesion, created_at AS createdAt
         FROM lesion_match_edits WHERE patient_id = ? ORDER BY id`,
    )
    .all(patientId) as StoredMatchEdit[];
}

export function addMatchEdit(db: Database, patientId: string, e: Omit<StoredMatchEdit, 'id' | 'createdAt'>): void {
  db.prepare('INSERT INTO lesion_match_edits (patient_id, from_case, to_case, from_lesion, to_lesion, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    patientId,
    e.fromCase,
    e.toCase,
    e.fromLesion,
    e.toLesion,
    new Date().toISOString(),
  );
}

/** Back to the automatic matching. */
export function clearMatchEdits(db: Database, patientId: string): number {
  return db.prepare('DELETE FROM lesion_match_edits WHERE patient_id = ?').run(patientId).changes;
}
