// `medseg audit verify [--db F] [--json]` checks the hash chain of the audit log (exit 1 when it does not verify);
// `medseg audit list [--db F] [--json]` prints the entries.
import { readAuditLog, verifyAuditLog } from '../../db/audit.js';
import { openCatalogDb, parseCommandArgs, UsageError } from './common.js';
import { EXIT_FAILED, EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg audit (verify | list) [--db FILE] [--json]\n' +
  '  verify: {"ok", "entries", "firstBadEntry"}: the first entry that was changed, removed or moved (exit status 1), or null.\n' +
  '  list:   every entry (seq, time, action, subject, details, prevHash, hash).';

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { db: { type: 'string' }, json: { type: 'boolean' } }, usage);
    const sub = positionals[0];
    if (positionals.length !== 1 || (sub !== 'verify' && sub !== 'list')) throw new UsageError(`give verify or list\nusage: ${usage}`);
    const db = await openCatalogDb(values.db);
    try {
      if (sub === 'list') {
        const entries = readAuditLog(db);
        if (values.json) io.stdout(JSON.stringify({ entries }) + '\n');
        else for (const e of entries) io.stdout(`${e.seq}\t${e.time}\t${e.action}\t${e.subject}\t${e.details}\n`);
        return EXIT_OK;
      }
      const v = verifyAuditLog(db);
      if (values.json) io.stdout(JSON.stringify(v) + '\n');
      else io.stdout(v.ok ? `audit log verifies: ${v.entries} entries\n` : `audit log does NOT verify at entry ${v.firstBadEntry}: ${v.reason}\n`);
      return v.ok ? EXIT_OK : EXIT_FAILED;
    } finally {
      db.close();
    }
  },
};
