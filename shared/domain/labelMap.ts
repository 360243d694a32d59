// Label maps (segmentations): one integer label per voxel on a volume grid, plus the label table.
import type { VolumeGeometry } from './volume.js';

export type LabelKind = 'organ' | 'lesion' | 'other';

export interface LabelInfo {
  value: number;
  name: string;
  /** sRGB 0..255 */
  colorRgb: [number, number, number];
  kind: LabelKind;
}

export interface LabelMap extends VolumeGeometry {
  /** Label per voxel, same order as Volume.voxels. 0 = background. */
  labels: Uint8Array | Uint16Array;
  table: LabelInfo[];
}

/** A stable, distinguishable colour for a label value when the source has none. */
export function defaultLabelColor(value: number): [number, number, number] {
  // golden-angle hue walk, fixed saturation/lightness
  const h = ((value * 137.508) % 360) / 360;
  const s = 0.75;
  const l = 0.5;
  const hue2rgb = (p: number, q: number, t: number): number => {
    if (t < 0) t += 1;
    if (t > 1) t -= 1;
    if (t < 1 / 6) return p + (q - p) * 6 * t;
    if (t < 1 / 2) return q;
    if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6;
    return p;
  };
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  return [hue2rgb(p, q, h + 1 / 3), hue2rgb(p, q, h), hue2rgb(p, q, h - 1 / 3)].map((x) => Math.round(x * 255)) as [number, number, number];
}
