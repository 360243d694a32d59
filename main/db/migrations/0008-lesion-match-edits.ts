// Version 8: the user's corrections of the lesion matching between two measured studies of a patient (the timeline
// view). A row names the two measurement runs' cases, so a study measured again makes its old corrections inapplicable.
import type { Database } from 'better-sqlite3';

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE lesion_match_edits (
      id INTEGER PRIMARY KEY,
      patient_id TEXT NOT NULL,
      from_case TEXT NOT NULL,
      to_case TEXT NOT NULL,
      from_lesion TEXT NOT NULL,
      -- NULL: the user unpaired from_lesion
      to_lesion TEXT,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX lesion_match_edits_patient ON lesion_match_edits (patient_id, id);
  `);
}
