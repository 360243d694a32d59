// `medseg info PATH... --json`: reads headers and assembles volumes without importing; prints geometry per series.
import { assembleSeries, stackToInfoJson } from '../../services/series/assemble.js';
import { readInstances } from '../../services/catalog/readInstances.js';
import { expandInputs, sourceLabel } from '../../services/catalog/sources.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { parseCommandArgs, UsageError } from './common.js';
import { EXIT_FAILED, EXIT_OK, type CliCommand } from './types.js';

const usage = 'medseg info PATH... [--json]';

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } }, usage);
    if (positionals.length === 0) throw new UsageError(`no PATH given\nusage: ${usage}`);
    const expanded = await expandInputs(positionals);
    const errors: { path: string; code: ErrorCode; message: string }[] = expanded.errors.map((e) => ({ ...e }));
    const instances = await readInstances(expanded.sources, {
      onError: (s, err) => errors.push({ path: sourceLabel(s), code: err.code, message: err.message }),
    });
    const series = assembleSeries(instances).map(stackToInfoJson);
    if (values.json) {
      io.stdout(JSON.stringify({ series, errors }) + '\n');
    } else {
      for (const s of series) {
        io.stdout(
          `${s.seriesInstanceUid} ${s.modality} "${s.description}" files=${s.files} dims=${s.dims.join('x')} ` +
            `spacingMm=${s.spacingMm.map((v) => +v.toFixed(4)).join('x')} geometry=${s.geometry.status}\n`,
        );
        for (const f of s.geometry.findings) io.stdout(`  ${f.code}: ${f.message}\n`);
      }
      for (const e of errors) io.stdout(`error ${e.code} ${e.path}: ${e.message}\n`);
    }
    return series.length > 0 ? EXIT_OK : EXIT_FAILED;
  },
};
