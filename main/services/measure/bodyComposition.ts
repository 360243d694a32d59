// Body composition service (CLI and the method table's bodycomp.compute): reads the tissue and vertebrae label maps
// (files, or stored label maps of the series), puts them on the image grid (nearest neighbour through LPS, placement
// gated as measure does) and measures them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { labelMapPlacement, requirePhysicalUnits, requirePlaceableLabelMap, type OutputWarning } from '../../../shared/domain/geometryGate.js';
import type { IntensityUnit } from '../../../shared/domain/intensityUnit.js';
import { parseLabelTable } from '../../../shared/domain/labelTable.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import {
  bodyComposition,
  levelsCutByGrid,
  vertebraLevelOf,
  type BodyCompositionResult,
  type LabelGrid,
  type SliceChoice,
} from '../../../shared/domain/measure/bodyComposition.js';
import { resampleLabelMapNearest } from '../../../shared/domain/resample.js';
import { sameGrid, type Volume } from '../../../shared/domain/volume.js';
import { AppError } from '../../../shared/errors.js';
import { readNiftiLabels } from '../nifti/nifti.js';
import type { ModelFolder } from '../inference/registry.js';
import type { ProviderFallback } from '../inference/providers.js';
import { startSegmentation, type JobOptions } from '../inference/runner.js';
import { assertSegmentable, checkModelFits, type ModalityCheck, type SeriesKind } from '../inference/segmentSeries.js';

export interface NamedLabelFile {
  grid: LabelGrid;
  geometryReport: GeometryReport;
  names: Map<number, string>;
}

function namesFrom(csvPath: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  if (!csvPath) return out;
  for (const [value, row] of parseLabelTable(readFileSync(csvPath, 'utf8'))) out.set(value, row.name);
  return out;
}

const MASK_EXT = /\.nii(\.gz)?$/i;

/**
 * A multi-label NIfTI (names from NAMES.csv), or a folder of binary masks (TotalSegmentator's tissue_types layout:
 * one NAME.nii.gz per tissue) merged into one map, values 1..n in file-name order. Masks that overlap are refused.
 */
export async function readNamedLabels(file: string, namesCsv?: string): Promise<NamedLabelFile> {
  let isDir = false;
  try {
    isDir = statSync(file).isDirectory();
  } catch {
    throw new AppError('NOT_FOUND', `${file}: no such file or folder.`);
  }
  if (!isDir) {
    const seg = await readNiftiLabels(file);
    const { geometryReport, ...grid } = seg;
    return { grid, geometryReport, names: namesFrom(namesCsv) };
  }
  const files = readdirSync(file)
    .filter((f) => MASK_EXT.test(f))
    .sort();
  if (files.length === 0) throw new AppError('INVALID_INPUT', `${file}: the folder holds no .nii/.nii.gz masks.`);
  if (files.length > 65535) throw new AppError('INVALID_INPUT', `${file}: too many masks.`);
  let merged: NamedLabelFile | null = null;
  for (let n = 0; n < files.length; n++) {
    const seg = await readNiftiLabels(path.join(file, files[n]));
    const { geometryReport, ...grid } = seg;
    if (!merged) {
      const labels = files.length <= 255 ? new Uint8Array(grid.labels.length) : new Uint16Array(grid.labels.length);
      merged = { grid: { ...grid, labels }, geometryReport, names: new Map() };
    } else if (!sameGrid(merged.grid, grid)) {
      throw new AppError('INVALID_INPUT', `${files[n]}: the masks in ${file} are not on one grid.`);
    }
    const value = n + 1;
    merged.names.set(value, files[n].replace(MASK_EXT, ''));
    const out = merged.grid.labels;
    for (let p = 0; p < out.length; p++) {
      if (grid.labels[p] === 0) continue;
      if (out[p] !== 0) throw new AppError('INVALID_INPUT', `${files[n]} overlaps ${merged.names.get(out[p])}: a voxel can be one tissue only.`);
      out[p] = value;
    }
  }
  return merged!;
}

/**
 * A stored label map (already on its series' grid) as named labels: 'all' its labels, 'tissues' all but the
 * vertebra-named ones (zeroed), 'vertebrae' only those — so that one map holding both can serve as either.
 */
export function namedLabelsOfMap(map: LabelMap, geometryReport: GeometryReport, part: 'all' | 'tissues' | 'vertebrae'): NamedLabelFile {
  const isVertebra = (name: string): boolean => vertebraLevelOf(name) !== null;
  const kept = map.table.filter((l) => part === 'all' || (part === 'vertebrae') === isVertebra(l.name));
  const names = new Map(kept.map((l) => [l.value, l.name]));
  const grid: LabelGrid = { dims: map.dims, spacingMm: map.spacingMm, originLps: map.originLps, directionLps: map.directionLps, labels: map.labels };
  if (part === 'all') return { grid, geometryReport, names };
  const keep = new Uint8Array(Math.max(0, ...map.table.map((l) => l.value)) + 1);
  for (const l of kept) keep[l.value] = 1;
  const labels = map.labels instanceof Uint16Array ? new Uint16Array(map.labels.length) : new Uint8Array(map.labels.length);
  for (let p = 0; p < labels.length; p++) if (keep[map.labels[p]] === 1) labels[p] = map.labels[p];
  return { grid: { ...grid, labels }, geometryReport, names };
}

/** Where model-made tissue masks came from: the exact weights, the provider that ran, and the modality check. */
export interface TissuesFromModel {
  model: { id: string; version: string; sha256: string };
  executionProvider: string;
  fallbacks: ProviderFallback[];
  seconds: number;
  modalityCheck: ModalityCheck;
}

/**
 * The tissue masks made by a segmentation model on the image itself (same grid, names from the model's label table),
 * for researchers without TotalSegmentator's masks. The model must fit the series (modality, region, orientation)
 * unless the caller overrides it; that choice is recorded in the provenance.
 */
export async function tissuesFromModel(
  volume: Volume,
  geometry: GeometryReport,
  series: SeriesKind,
  model: ModelFolder,
  opts: JobOptions & { allowModalityMismatch?: boolean },
): Promise<{ tissues: NamedLabelFile; provenance: TissuesFromModel }> {
  const { allowModalityMismatch, ...jobOpts } = opts;
  assertSegmentable(volume, geometry, model);
  const modalityCheck = checkModelFits(model, series, allowModalityMismatch === true);
  const result = await startSegmentation(volume, model, jobOpts).promise;
  const { labels, table, ...grid } = result.labelMap;
  const m = model.manifest;
  return {
    tissues: { grid: { ...grid, labels }, geometryReport: geometry, names: new Map(table.map((l) => [l.value, l.name])) },
    provenance: {
      model: { id: m.id, version: m.version, sha256: model.sha256 },
      executionProvider: result.provider,
      fallbacks: result.fallbacks,
      seconds: result.seconds,
      modalityCheck,
    },
  };
}

function onImageGrid(volume: Volume, file: NamedLabelFile, what: string, warnings: OutputWarning[]): LabelGrid {
  const needsResampling = !sameGrid(volume, file.grid);
  requirePlaceableLabelMap(file.geometryReport, needsResampling);
  if (!needsResampling) return file.grid;
  for (const w of labelMapPlacement(file.grid, volume).warnings) warnings.push({ ...w, message: `${what}: ${w.message}` });
  return resampleLabelMapNearest(file.grid, volume) as LabelGrid;
}

export interface BodyCompositionReport extends BodyCompositionResult {
  intensityUnit: IntensityUnit;
  resampled: { tissues: boolean; vertebrae: boolean };
  /** How the maps were put on the image grid (resampled, partial coverage...): coded, as measure gives them. */
  warnings: OutputWarning[];
}

/** Measures; mean intensities are given only in HU (a CT), else null. */
export function measureBodyComposition(
  volume: Volume,
  geometry: GeometryReport,
  intensityUnit: IntensityUnit,
  tissues: NamedLabelFile,
  vertebrae: NamedLabelFile,
  slice?: SliceChoice,
): BodyCompositionReport {
  // the gate before any work: nothing is resampled for numbers that would be refused
  requirePhysicalUnits(geometry, 'Body composition in mL and cm²');
  const warnings: OutputWarning[] = [];
  const t = onImageGrid(volume, tissues, 'tissues', warnings);
  const v = onImageGrid(volume, vertebrae, 'vertebrae', warnings);
  const result = bodyComposition({
    volume: intensityUnit === 'HU' ? volume : null,
    tissues: t,
    tissueNames: tissues.names,
    vertebrae: v,
    vertebraNames: vertebrae.names,
    geometry,
    slice,
    // a vertebra at the edge of its own map's grid is cut there even when the image goes on
    cutLevels: v !== vertebrae.grid ? levelsCutByGrid(vertebrae.grid, vertebrae.names) : undefined,
  });
  return { ...result, intensityUnit, resampled: { tissues: t !== tissues.grid, vertebrae: v !== vertebrae.grid }, warnings };
}
