// Stable identifiers for objects whose UIDs were blanked (anonymised exports): derived, never merged by accident.
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { DicomInstance } from './types.js';

function digest(parts: (string | number | undefined)[]): string {
  return createHash('sha1')
    .update(parts.map((p) => String(p ?? '')).join('\u0000'))
    .digest('hex')
    .slice(0, 24);
}

/**
 * Anonymised exports sometimes blank the UIDs (the TotalSegmentator sample has empty SOP, series and study
 * UIDs). Identity is then derived instead of collapsing every such file into one: the SOP instance by the
 * file's content, the series and study by the attributes that describe them and the folder they sit in.
 * Derived UIDs start with "medseg-" so they are never mistaken for real ones.
 */
export function fillMissingIdentifiers(inst: DicomInstance, bytes: Uint8Array): void {
  if (!inst.sopInstanceUid) inst.sopInstanceUid = `medseg-sop-${createHash('sha1').update(bytes).digest('hex').slice(0, 32)}`;
  if (!inst.studyInstanceUid) {
    inst.studyInstanceUid = `medseg-study-${digest([inst.patientId, inst.patientName, inst.studyDate, inst.studyTime, inst.studyDescription, inst.accessionNumber])}`;
  }
  if (!inst.seriesInstanceUid) {
    inst.seriesInstanceUid = `medseg-series-${digest([
      inst.studyInstanceUid,
      inst.seriesNumber,
      inst.modality,
      inst.seriesDescription,
      inst.frameOfReferenceUid,
      inst.archiveMember ? `${inst.path}!${dirname(inst.archiveMember)}` : dirname(inst.path),
    ])}`;
  }
}
