// CT volume-rendering presets for the 3D view: colour and opacity transfer functions over HU. The numbers are ours,
// chosen from the usual HU ranges (fat ≈ -100, soft tissue 20–80, contrast-filled vessels 150–400, bone > 300).

export type Rgb01 = [number, number, number];

export interface VolumePreset {
  id: 'bone' | 'soft-tissue' | 'vessels';
  name: string;
  /** [HU, red, green, blue] with colours 0..1, HU increasing. */
  colourPoints: readonly (readonly [number, ...Rgb01])[];
  /** [HU, opacity 0..1] per unit length, HU increasing. */
  opacityPoints: readonly (readonly [number, number])[];
}

export const VOLUME_PRESETS: readonly VolumePreset[] = [
  {
    id: 'bone',
    name: 'bone',
    colourPoints: [
      [150, 0.55, 0.25, 0.15],
      [300, 0.9, 0.82, 0.65],
      [1200, 1, 1, 0.95],
    ],
    opacityPoints: [
      [150, 0],
      [250, 0.15],
      [500, 0.6],
      [1500, 0.85],
    ],
  },
  {
    id: 'soft-tissue',
    name: 'soft tissue',
    colourPoints: [
      [-150, 0.55, 0.35, 0.25],
      [-50, 0.85, 0.7, 0.45],
      [40, 0.8, 0.35, 0.3],
      [200, 1, 0.9, 0.85],
    ],
    opacityPoints: [
      [-200, 0],
      [-80, 0.02],
      [20, 0.08],
      [120, 0.2],
      [400, 0.4],
    ],
  },
  {
    id: 'vessels',
    name: 'vessels',
    colourPoints: [
      [100, 0.6, 0.05, 0.05],
      [250, 0.95, 0.3, 0.25],
      [600, 1, 0.95, 0.9],
    ],
    opacityPoints: [
      [110, 0],
      [180, 0.3],
      [350, 0.7],
      [1000, 0.85],
    ],
  },
];

export type VolumePresetId = VolumePreset['id'];

export function volumePresetById(id: string): VolumePreset | undefined {
  return VOLUME_PRESETS.find((p) => p.id === id);
}

/**
 * Transfer-function points over HU re-expressed in stored units (stored = (HU - intercept) / slope): the 3D view
 * uploads the stored integers the 2D views already hold instead of a second float copy of the volume.
 */
export function toStoredUnits(huPoints: readonly (readonly number[])[], slope: number, intercept: number): number[][] {
  if (!(slope > 0)) throw new Error(`transfer function needs a positive slope, got ${slope}`);
  return huPoints.map(([hu, ...rest]) => [(hu - intercept) / slope, ...rest]);
}
