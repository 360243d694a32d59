// One entry point for the classical tools: a tool request in, a label map (on the volume grid, with its label
// table) and the parameters to store with it out, so the result is saved and measured like a model's.
import { defaultLabelColor, type LabelMap } from '../labelMap.js';
import type { Vec3, Volume } from '../volume.js';
import type { Connectivity } from '../measure/components.js';
import { kMeansIntensity } from './kmeans.js';
import { regionGrow } from './regionGrow.js';
import type { RoiBoxIjk } from './roi.js';
import { thresholdMask } from './threshold.js';

export type ClassicalToolRequest =
  | { tool: 'threshold'; loValue: number; hiValue: number; roi?: RoiBoxIjk }
  | { tool: 'regionGrow'; seedIjk: Vec3; loValue?: number; hiValue?: number; tolerance?: number; connectivity?: Connectivity; maxVoxels?: number }
  | { tool: 'kmeans'; k: number; roi?: RoiBoxIjk };

export interface ClassicalToolResult {
  labelMap: LabelMap;
  /** The request plus what the tool decided (range used, capped, cluster centres): stored as params. */
  params: Record<string, unknown>;
}

export function runClassicalTool(volume: Volume, req: ClassicalToolRequest): ClassicalToolResult {
  const { voxels: _voxels, ...grid } = volume;
  if (req.tool === 'threshold') {
    const labels = thresholdMask(volume, req.loValue, req.hiValue, req.roi);
    return {
      labelMap: { ...grid, labels, table: [{ value: 1, name: `threshold ${req.loValue}..${req.hiValue}`, colorRgb: defaultLabelColor(1), kind: 'lesion' }] },
      params: { ...req },
    };
  }
  if (req.tool === 'regionGrow') {
    const criterion =
      req.tolerance !== undefined
        ? { tolerance: req.tolerance }
        : req.loValue !== undefined && req.hiValue !== undefined
          ? { lo: req.loValue, hi: req.hiValue }
          : null;
    if (!criterion) throw new Error('region growing needs a tolerance or both loValue and hiValue');
    const r = regionGrow(volume, req.seedIjk, criterion, { connectivity: req.connectivity, maxVoxels: req.maxVoxels });
    return {
      labelMap: { ...grid, labels: r.mask, table: [{ value: 1, name: `region ${r.lo}..${r.hi}`, colorRgb: defaultLabelColor(1), kind: 'lesion' }] },
      params: { ...req, usedLoValue: r.lo, usedHiValue: r.hi, voxels: r.voxels, capped: r.capped },
    };
  }
  const r = kMeansIntensity(volume, req.k, req.roi);
  return {
    labelMap: {
      ...grid,
      labels: r.labels,
      table: r.centres.map((c, n) => ({
        value: n + 1,
        name: `cluster ${n + 1} (mean ${c.toFixed(1)})`,
        colorRgb: defaultLabelColor(n + 1),
        kind: 'other' as const,
      })),
    },
    params: { ...req, centres: r.centres, counts: r.counts, iterations: r.iterations },
  };
}
