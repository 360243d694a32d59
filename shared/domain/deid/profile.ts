// PS3.15 Annex E Basic Application Level Confidentiality Profile (+ Retain Longitudinal Temporal Information with
// Modified Dates): which action applies to an attribute, the dummy values, and the whole-day date shift. Pure.
import { PROFILE_TABLE } from './profileTable.js';

/** What happens to one attribute: remove, make empty, dummy value, new UID, keep, date-shift (clean), or clean its items. */
export type DeidAction = 'remove' | 'empty' | 'dummy' | 'uid' | 'keep' | 'shiftDate';

export interface DeidOptions {
  /** Retain Longitudinal Temporal Information with Modified Dates Option: dates shifted by a per-patient offset. */
  shiftDates: boolean;
}

/** Code for each option, PS3.16 CID 7050 (De-identification Method). */
export const DEID_METHOD_CODES = {
  basic: { value: '113100', meaning: 'Basic Application Confidentiality Profile' },
  modifiedDates: { value: '113107', meaning: 'Retain Longitudinal Temporal Information Modified Dates Option' },
} as const;

interface TableEntry {
  name: string;
  basic: string;
  modifiedDates: string;
}

const EXACT = new Map<number, TableEntry>();
/** Rows with repeating groups (50xx, 60xx): mask and value over the 32-bit tag. */
const MASKED: { mask: number; value: number; entry: TableEntry }[] = [];
for (const [tag, name, basic, modifiedDates] of PROFILE_TABLE) {
  const entry = { name, basic, modifiedDates };
  if (/X/i.test(tag)) {
    let mask = 0;
    let value = 0;
    for (const ch of tag) {
      mask = (mask << 4) >>> 0;
      value = (value << 4) >>> 0;
      if (ch.toUpperCase() !== 'X') {
        mask |= 0xf;
        value |= parseInt(ch, 16);
      }
    }
    MASKED.push({ mask, value, entry });
  } else {
    EXACT.set(parseInt(tag, 16), entry);
  }
}

/** The table row for a tag (32-bit group<<16|element), or undefined when the profile does not list it. */
export function profileEntry(tag: number): TableEntry | undefined {
  const hit = EXACT.get(tag);
  if (hit) return hit;
  for (const m of MASKED) if ((tag & m.mask) >>> 0 === m.value) return m.entry;
  return undefined;
}

export function isPrivateTag(tag: number): boolean {
  return ((tag >>> 16) & 1) === 1;
}

/** Repeating groups 50xx (curves, retired) and 60xx (overlays): removed whole when their data is (kept consistent). */
export function isCurveOrOverlayGroup(tag: number): boolean {
  const group = tag >>> 16;
  return (group & 0xff00) === 0x5000 || (group & 0xff00) === 0x6000;
}

/**
 * The action for a table code. Combined codes (X/Z, X/D, Z/D, X/Z/D, X/Z/U*) name the weakest action an IOD allows,
 * the stronger ones being needed when the attribute is Type 2 or 1 there; we do not know the IOD's type for every
 * object, so we take the one that keeps every IOD valid and identifies nothing: a dummy (D) if listed, else empty (Z),
 * and for X/Z/U* a new UID (so references stay intact).
 */
export function actionForCode(code: string): DeidAction {
  const parts = code.toUpperCase().replace(/\*/g, '').split('/');
  if (parts.includes('U')) return 'uid';
  if (parts.includes('D')) return 'dummy';
  if (parts.includes('Z')) return 'empty';
  if (parts.includes('X')) return 'remove';
  if (parts.includes('K')) return 'keep';
  if (parts.includes('C')) return 'shiftDate';
  throw new Error(`unknown confidentiality profile action '${code}'`);
}

/**
 * The action for one attribute present in a dataset. `vr` decides the cases the table leaves to the de-identifier:
 * private and curve/overlay attributes are removed; dates (DA, DT) the table does not list are shifted with the
 * option, else emptied (PS3.15 E.1.1 note: handle all dates by their VR).
 */
export function actionFor(tag: number, vr: string, options: DeidOptions): DeidAction {
  if (isPrivateTag(tag) || isCurveOrOverlayGroup(tag)) return 'remove';
  const entry = profileEntry(tag);
  if (entry) {
    if (options.shiftDates && entry.modifiedDates !== '') {
      // C on a date shifts it; times (TM) keep their value, a whole-day shift keeps every interval.
      if (vr === 'DA' || vr === 'DT') return 'shiftDate';
      if (vr === 'TM') return 'keep';
      return actionForCode(entry.modifiedDates === 'C' ? entry.basic : entry.modifiedDates);
    }
    return actionForCode(entry.basic);
  }
  if (vr === 'DA' || vr === 'DT') return options.shiftDates ? 'shiftDate' : 'empty';
  return 'keep';
}

/** A dummy value consistent with the VR (PS3.15 E.1-1a, D): never derived from the original. */
export function dummyText(vr: string): string | null {
  switch (vr) {
    case 'DA':
      return '19000101';
    case 'DT':
      return '19000101000000';
    case 'TM':
      return '000000';
    case 'PN':
      return 'ANONYMOUS';
    case 'AS':
      return '000Y';
    case 'IS':
    case 'DS':
      return '0';
    case 'CS':
      return 'ANONYMIZED';
    case 'AE':
    case 'SH':
    case 'LO':
    case 'ST':
    case 'LT':
    case 'UT':
    case 'UC':
      return 'ANONYMIZED';
    default:
      return null;
  }
}

const MS_PER_DAY = 86_400_000;

/** Shifts a DA value (YYYYMMDD, possibly multi-valued or a range A-B) by whole days; other text stays as it is. */
export function shiftDa(text: string, days: number): string {
  return (
    text
      .split('\\')
      // ACR-NEMA style YYYY.MM.DD (still found in old files) is shifted and written as YYYYMMDD.
      .map((v) => v.replace(/(\d{4})\.(\d{2})\.(\d{2})/g, '$1$2$3').replace(/\d{8}/g, (d) => shiftYmd(d, days)))
      .join('\\')
  );
}

/** Shifts a DT value's date part (the first 8 digits of each value) by whole days; time and offset kept. */
export function shiftDt(text: string, days: number): string {
  return text
    .split('\\')
    .map((v) => (/^\d{8}/.test(v) ? shiftYmd(v.slice(0, 8), days) + v.slice(8) : v))
    .join('\\');
}

function shiftYmd(ymd: string, days: number): string {
  const t = Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6, 8)));
  if (!Number.isFinite(t)) return ymd;
  const d = new Date(t + days * MS_PER_DAY);
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  return `${y}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** A day offset in [-3650, -365] from 4 bytes of a keyed hash: the same patient and key give the same shift. */
export function dayOffsetFromHash(hash: Uint8Array): number {
  const n = ((hash[0] << 24) | (hash[1] << 16) | (hash[2] << 8) | hash[3]) >>> 0;
  return -(365 + (n % (3650 - 365 + 1)));
}

/** A UID of the 2.25 form (ISO/IEC 9834-8: a UUID as one decimal integer) from 16 bytes of a keyed hash. */
export function uidFromHash(hash: Uint8Array): string {
  const b = Array.from(hash.slice(0, 16));
  b[6] = (b[6] & 0x0f) | 0x80; // UUID version 8 (custom, RFC 9562)
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return `2.25.${n.toString()}`;
}
