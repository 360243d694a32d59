// DICOM UIDs medseg makes: derived (the same text, the same UID) or fresh, both in the UUID-derived 2.25 form.
import { createHash } from 'node:crypto';

const UID_ROOT_UUID = '2.25.';

/** A valid DICOM UID derived from text (UUID-derived 2.25 form, PS3.5 B.2), the same text giving the same UID. */
export function derivedUid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex').slice(0, 32);
  return UID_ROOT_UUID + BigInt('0x' + hex).toString();
}

/** A fresh UID for a new object (2.25 + random 128 bits). */
export function newUid(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return UID_ROOT_UUID + n.toString();
}
