// Child process of the crash test: commits the deterministic stroke sequence to one segmentation and reports
// every committed action on stdout (synchronously, so a report never outlives its kill) until it is killed.
import { writeSync } from 'node:fs';
import { openDatabase } from '../../main/db/database.js';
import { openEditSession } from '../../main/services/editing/session.js';
import type { EditStroke } from '../../shared/domain/editing/strokes.js';
import { CRASH_SNAPSHOT_EVERY, CRASH_UNDO_EVERY, crashStroke } from './editCrashOps.js';

const [file, segmentationArg, maxArg] = process.argv.slice(2);
const segmentationId = Number(segmentationArg);
const maxStrokes = Number(maxArg ?? 1e9);
const db = openDatabase(file);
const session = openEditSession(db, segmentationId, { snapshotEvery: CRASH_SNAPSHOT_EVERY, snapshotIdleMs: 0 });
const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};

/** The sequence number the child gave the stroke at a journal position (stored with the stroke's params). */
function tagAt(seq: number): number {
  if (seq === 0) return 0;
  const row = db.prepare('SELECT params_json FROM edit_strokes WHERE segmentation_id = ? AND seq = ?').get(segmentationId, seq) as { params_json: string };
  return (JSON.parse(row.params_json) as { tag: number }).tag;
}

say('ready');
// A kill between an undo and its redo leaves a redo pending: finish it so the history stays one chain.
while (session.history().canRedo) {
  const r = session.redo();
  say(`redone ${tagAt(r.version)}`);
}
for (let n = tagAt(session.history().version) + 1; n <= maxStrokes; n++) {
  // The tag travels in the stored params so a restarted child knows where the sequence stands.
  const stroke: EditStroke = Object.assign(crashStroke(n), { tag: n });
  const r = session.applyStroke(stroke);
  say(`committed ${n}`);
  if (r.changedVoxels > 0 && n % CRASH_UNDO_EVERY === 0) {
    session.undo();
    say(`undone ${n}`);
    session.redo();
    say(`redone ${n}`);
  }
  // Give background snapshot writes their turn, as the app's event loop would, so kills land in them too.
  await new Promise((resolve) => setImmediate(resolve));
}
say('done');
db.close();
