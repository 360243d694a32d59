// `medseg send PATH --to AET@HOST:PORT [--calling-aet X] [--timeout S] [--db F] [--json]`: C-STORE of DICOM files
// (e.g. a de-identified export, SEG, SR) to a DICOM node the user names. The only command that opens a socket.
import { appendAudit } from '../../db/audit.js';
import { parseDicomNode, sendToDicomNode } from '../../services/deid/dicomSend.js';
import { openCatalogDb, parseCommandArgs, UsageError } from './common.js';
import { EXIT_FAILED, EXIT_OK, type CliCommand } from './types.js';

const usage =
  'medseg send PATH --to AET@HOST:PORT [--calling-aet AET] [--timeout SECONDS] [--db FILE] [--json]\n' +
  '  Sends every DICOM file under PATH with C-STORE in one association (calling AE title MEDSEG unless given).\n' +
  "  Exit status 1 when any file was not stored; --db records the send in that catalog's audit log.";

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { to: { type: 'string' }, 'calling-aet': { type: 'string' }, timeout: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    if (positionals.length !== 1) throw new UsageError(`give exactly one PATH\nusage: ${usage}`);
    if (!values.to) throw new UsageError(`--to AET@HOST:PORT is required\nusage: ${usage}`);
    const timeoutS = values.timeout === undefined ? 30 : Number(values.timeout);
    if (!(timeoutS > 0 && timeoutS <= 3600)) throw new UsageError(`--timeout must be 1-3600 seconds\nusage: ${usage}`);
    const node = parseDicomNode(values.to);
    const result = await sendToDicomNode(positionals[0], node, values['calling-aet'] ?? 'MEDSEG', timeoutS * 1000);
    if (values.db !== undefined) {
      const db = await openCatalogDb(values.db);
      try {
        appendAudit(db, {
          action: 'send',
          subject: `${node.aet}@${node.host}:${node.port}`,
          details: { input: positionals[0], sent: result.sent.length, failed: result.failed.length, skipped: result.skipped.length },
        });
      } finally {
        db.close();
      }
    }
    if (values.json) io.stdout(JSON.stringify(result) + '\n');
    else
      io.stdout(
        `send: ${result.sent.length} stored at ${node.aet}@${node.host}:${node.port}, ${result.failed.length} failed, ${result.skipped.length} skipped\n`,
      );
    for (const f of result.failed) io.stderr(`medseg send: ${f.path}: status ${f.status}\n`);
    return result.failed.length === 0 ? EXIT_OK : EXIT_FAILED;
  },
};
