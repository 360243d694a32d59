// The unit of a volume's voxel values, from its modality: only CT is calibrated (Hounsfield units); MR and most
// other modalities store relative signal, which must never be labelled HU in a measurement.
export type IntensityUnit = 'HU' | 'a.u.' | 'unknown';

/** 'HU' for CT, 'a.u.' (arbitrary units) for any other recorded modality, 'unknown' when none is recorded (NIfTI). */
export function intensityUnitFor(modality: string): IntensityUnit {
  const m = modality.trim().toUpperCase();
  if (m === '') return 'unknown';
  return m === 'CT' ? 'HU' : 'a.u.';
}
