// `medseg measure PATH (--labels L.nii.gz | --threshold LO:HI | --grow I,J,K:LO:HI) [...] --json`, or a stored
// segmentation (`--db F --segmentation ID`): per-label volumes with partial-volume band, intensity statistics in the
// modality's unit (HU only for CT), centroids and lesion instances with RECIST diameters.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { runClassicalTool, type ClassicalToolRequest } from '../../../shared/domain/classical/runTool.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import { labelTableFor, parseLabelTable } from '../../../shared/domain/labelTable.js';
import { measurementCsv, measurementRows } from '../../../shared/domain/measure/export.js';
import type { MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { intensityUnitFor } from '../../../shared/domain/intensityUnit.js';
import { measureSegmentation } from '../../services/measure/measure.js';
import { readNiftiLabels } from '../../services/nifti/nifti.js';
import { loadVolumeFromPath } from '../../services/series/volumes.js';
import { loadMeasurements } from '../../db/measurements.js';
import { loadSegmentation } from '../../db/segmentations.js';
import { getSeriesRecord } from '../../db/catalog.js';
import { openCatalogDb, parseCommandArgs, UsageError } from './common.js';
import { EXIT_OK, type CliCommand, type CliIo } from './types.js';

const usage =
  'medseg measure PATH (--labels LABELS.nii.gz | --threshold=LO:HI | --grow=I,J,K:LO:HI) [--series UID] [--connectivity 6|26] ' +
  '[--lesion-labels V,V...] [--label-names NAMES.csv] [--max-voxels N] [--modality M] [--csv OUT.csv] [--json]\n' +
  '   or: medseg measure --db FILE --segmentation ID [--connectivity 6|26] [--csv OUT.csv] [--json]   (a stored segmentation, as the app shows it)\n' +
  '  --threshold/--grow make label 1 (a lesion-kind label: split into instances); negative values as typed: --threshold -1000:-250.\n' +
  '  Intensities are in HU for CT only (else a.u.); --modality states it for a NIfTI PATH, which does not record it.\n' +
  '  --grow seed I,J,K are voxel indices of PATH as loaded (i = column, j = row, k = slice in position order).\n' +
  '  --labels values are lesion-kind when listed in --lesion-labels or named like a lesion (tumour, lesion, metastasis,\n' +
  '  nodule), organ-kind when NAMES.csv names them otherwise; NAMES.csv has lines "value,name[,r,g,b]".';

function parseRange(text: string, what: string): { lo: number; hi: number } {
  const parts = text.split(':');
  const lo = Number(parts[0]);
  const hi = Number(parts[1]);
  if (parts.length !== 2 || parts.some((p) => p.trim() === '') || !Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    throw new UsageError(`${what}: expected LO:HI with LO <= HI, got '${text}'\nusage: ${usage}`);
  }
  return { lo, hi };
}

function parseGrow(text: string): { seed: Vec3; lo: number; hi: number } {
  const at = text.indexOf(':');
  const seed = text.slice(0, Math.max(0, at)).split(',').map(Number);
  if (at < 0 || seed.length !== 3 || !seed.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new UsageError(`--grow: expected I,J,K:LO:HI (voxel indices), got '${text}'\nusage: ${usage}`);
  }
  return { seed: seed as Vec3, ...parseRange(text.slice(at + 1), '--grow') };
}

export const command: CliCommand = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        labels: { type: 'string' },
        threshold: { type: 'string' },
        grow: { type: 'string' },
        series: { type: 'string' },
        connectivity: { type: 'string' },
        'lesion-labels': { type: 'string' },
        'label-names': { type: 'string' },
        'max-voxels': { type: 'string' },
        csv: { type: 'string' },
        json: { type: 'boolean' },
        db: { type: 'string' },
        segmentation: { type: 'string' },
        modality: { type: 'string' },
      },
      usage,
    );
    if (values.segmentation !== undefined) return measureStored(values, positionals, io);
    if (values.db !== undefined) throw new UsageError(`--db goes with --segmentation ID\nusage: ${usage}`);
    if (positionals.length !== 1) throw new UsageError(`give exactly one PATH\nusage: ${usage}`);
    const modes = [values.labels, values.threshold, values.grow].filter((x) => x !== undefined);
    if (modes.length !== 1) throw new UsageError(`give exactly one of --labels, --threshold, --grow\nusage: ${usage}`);
    const connectivity = values.connectivity === undefined ? 6 : Number(values.connectivity);
    if (connectivity !== 6 && connectivity !== 26) throw new UsageError(`--connectivity must be 6 or 26\nusage: ${usage}`);
    const threshold = values.threshold !== undefined ? parseRange(values.threshold, '--threshold') : undefined;
    const grow = values.grow !== undefined ? parseGrow(values.grow) : undefined;
    const maxVoxels = values['max-voxels'] !== undefined ? Number(values['max-voxels']) : undefined;
    if (maxVoxels !== undefined && !(Number.isInteger(maxVoxels) && maxVoxels > 0))
      throw new UsageError(`--max-voxels must be a positive integer\nusage: ${usage}`);

    const { volume, geometry, modality } = await loadVolumeFromPath(positionals[0], values.series);
    const stated = values.modality?.trim().toUpperCase();
    if (stated !== undefined && modality !== '' && stated !== modality.toUpperCase())
      throw new UsageError(`--modality ${stated}: the DICOM series says ${modality}\nusage: ${usage}`);
    const intensityUnit = intensityUnitFor(modality || stated || '');
    let labelMap: LabelMap;
    let labelMapGeometry: GeometryReport | undefined;
    let note = '';
    if (values.labels !== undefined) {
      // Names, colours and kinds by the same label-table rules as the app's segmentations.addFromNifti.
      const seg = await readNiftiLabels(values.labels);
      labelMapGeometry = seg.geometryReport;
      const lesionValues = new Set(
        (values['lesion-labels'] ?? '')
          .split(',')
          .filter((s) => s !== '')
          .map(Number),
      );
      const rows = values['label-names'] ? parseLabelTable(readFileSync(values['label-names'], 'utf8')) : null;
      labelMap = { ...seg, table: labelTableFor(seg.labels, { rows, lesionValues }) };
    } else {
      // The classical tool runner the app uses, so the CLI and the app make the same mask from the same request.
      const request: ClassicalToolRequest = threshold
        ? { tool: 'threshold', loValue: threshold.lo, hiValue: threshold.hi }
        : { tool: 'regionGrow', seedIjk: grow!.seed, loValue: grow!.lo, hiValue: grow!.hi, connectivity, maxVoxels };
      let made;
      try {
        made = runClassicalTool(volume, request);
      } catch (err) {
        // The tools throw plain errors for bad requests (a seed outside the grid).
        if (err instanceof AppError) throw err;
        throw new AppError('INVALID_INPUT', err instanceof Error ? err.message : String(err));
      }
      if (made.params.capped === true) note = `region growing stopped at --max-voxels ${maxVoxels}: the region is incomplete`;
      labelMap = made.labelMap;
    }
    const result: MeasurementResult & { intensityUnit: string; note?: string } = {
      ...measureSegmentation(volume, labelMap, geometry, { connectivity }, labelMapGeometry),
      intensityUnit,
    };
    if (note) result.note = note;
    if (values.csv) await writeFile(values.csv, measurementCsv(measurementRows(result), intensityUnit));
    if (values.json) io.stdout(JSON.stringify(result) + '\n');
    else printHuman(result, intensityUnit, io.stdout);
    if (note) io.stderr(`medseg measure: ${note}\n`);
    return EXIT_OK;
  },
};

/**
 * Measures a stored segmentation through the method table, exactly as the app does (committed edits included; the
 * run is stored): the output names the segmentation and run measured, and the CSV is the stored rows.
 */
async function measureStored(
  values: {
    db?: string;
    segmentation?: string;
    connectivity?: string;
    csv?: string;
    json?: boolean;
    labels?: string;
    threshold?: string;
    grow?: string;
    series?: string;
  },
  positionals: string[],
  io: CliIo,
): Promise<number> {
  if (positionals.length > 0 || values.labels !== undefined || values.threshold !== undefined || values.grow !== undefined || values.series !== undefined) {
    throw new UsageError(`--segmentation ID measures a stored segmentation: give no PATH, --labels, --threshold, --grow or --series\nusage: ${usage}`);
  }
  const segmentationId = Number(values.segmentation);
  if (!(Number.isInteger(segmentationId) && segmentationId > 0)) throw new UsageError(`--segmentation must be a positive integer id\nusage: ${usage}`);
  const connectivity = values.connectivity === undefined ? 6 : Number(values.connectivity);
  if (connectivity !== 6 && connectivity !== 26) throw new UsageError(`--connectivity must be 6 or 26\nusage: ${usage}`);
  const db = await openCatalogDb(values.db);
  try {
    const { seriesId } = loadSegmentation(db, segmentationId).summary;
    const intensityUnit = intensityUnitFor(getSeriesRecord(db, seriesId).modality);
    // the whole method table is loaded only for this mode
    const { createServiceTable } = await import('../../methods/index.js');
    const table = createServiceTable({ db, mode: 'http', appVersion: 'cli' });
    const wire = await table.methods['measure.segmentation']({ segmentationId, connectivity }, { emit: () => {} });
    if (values.csv) await writeFile(values.csv, measurementCsv(loadMeasurements(db, wire.runId).rows, intensityUnit));
    if (values.json) io.stdout(JSON.stringify({ ...wire, seriesId, intensityUnit }) + '\n');
    else {
      io.stdout(`segmentation ${segmentationId} of series ${seriesId}, measurement run ${wire.runId}\n`);
      printHuman(wire, intensityUnit, io.stdout);
    }
    return EXIT_OK;
  } finally {
    db.close();
  }
}

interface PrintableMeasurement {
  geometry: { status: string; findings: { code: string; message: string }[]; warnings: { code: string; message: string }[]; voxelVolumeMl: number };
  labels: {
    value: number;
    name: string;
    voxels: number;
    volumeMl: number;
    volumeMlLower: number;
    volumeMlUpper: number;
    /** Reaches the first or last slice: the volume is a lower bound. */
    touchesScanEdge: boolean;
    stats: { mean: number | null; sd: number | null } | null;
    instances: {
      id: number;
      volumeMl: number;
      volumeMlLower: number;
      volumeMlUpper: number;
      recistLongMm: number | null;
      recistShortMm: number | null;
      maxDiameterMm: number | null;
    }[];
  }[];
}

function printHuman(r: PrintableMeasurement, intensityUnit: string, out: (s: string) => void): void {
  const f = (x: number | null | undefined, d = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
  out(`geometry ${r.geometry.status}, voxel ${f(r.geometry.voxelVolumeMl * 1000, 3)} mm^3\n`);
  for (const fnd of r.geometry.findings) out(`  ${fnd.code}: ${fnd.message}\n`);
  for (const w of r.geometry.warnings) out(`  ${w.code}: ${w.message}\n`);
  for (const l of r.labels) {
    if (l.voxels === 0) continue;
    const s = l.stats;
    out(
      `${l.value} ${l.name}: ${l.touchesScanEdge ? '>= ' : ''}${f(l.volumeMl)} mL (${f(l.volumeMlLower)}–${f(l.volumeMlUpper)}), ${l.voxels} voxels` +
        (s ? `, mean ${f(s.mean)} ± ${f(s.sd)} ${intensityUnit}` : '') +
        '\n',
    );
    for (const i of l.instances) {
      out(
        `  #${i.id}: ${f(i.volumeMl, 2)} mL (${f(i.volumeMlLower, 2)}–${f(i.volumeMlUpper, 2)}), RECIST ${f(i.recistLongMm)} x ${f(i.recistShortMm)} mm, max ${f(i.maxDiameterMm)} mm\n`,
      );
    }
  }
}
