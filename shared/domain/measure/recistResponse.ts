// Longitudinal response: lesions matched across time points by position (after aligning on organ centroids), RECIST 1.1
// target selection and response (CR/PR/SD/PD, the 20 % + 5 mm rule against the nadir, new lesion → PD), and per-label
// volume change flagged when it lies within the partial-volume bands' overlap. Pure; mm and mL come from measurements
// that already passed the geometry gate.
import type { Vec3 } from '../volume.js';

export interface TimelineLesion {
  /** The lesion's id at its time point (e.g. "1:3" = label 1, instance 3). */
  id: string;
  /** Organ (or label name) the lesion belongs to: at most two targets per organ. */
  organ: string;
  centroidLps: Vec3;
  longAxisMm: number;
  shortAxisMm: number;
  /** A lymph node: measured by its short axis (target when ≥ 15 mm, normal when < 10 mm). */
  isNode?: boolean;
}

export interface TimelineLabel {
  name: string;
  volumeMl: number;
  volumeMlLower: number;
  volumeMlUpper: number;
  centroidLps: Vec3 | null;
  /** Organ labels anchor the alignment; lesion labels do not (they change by definition). */
  isOrgan: boolean;
}

export interface Timepoint {
  key: string;
  date: string;
  lesions: TimelineLesion[];
  labels: TimelineLabel[];
}

export type RecistResponse = 'CR' | 'PR' | 'SD' | 'PD' | 'NE';

export interface RecistOptions {
  /** Largest distance (mm) between aligned centroids for two lesions to be the same one (default 15). */
  matchDistanceMm?: number;
  /** Smallest long axis (mm) of an unmatched follow-up lesion that counts as new (default 0: any). */
  minNewLesionMm?: number;
  /** The user's corrections of the matching, applied in order on top of the automatic one (see applyMatchEdits). */
  matchEdits?: MatchEdit[];
}

/**
 * One correction of the matching between two consecutive time points: pair `fromId` with `toId` (each loses any other
 * partner), or unpair `fromId` (toId null).
 */
export interface MatchEdit {
  fromKey: string;
  toKey: string;
  fromId: string;
  toId: string | null;
}

/** RECIST 1.1 measurability at baseline: non-nodal long axis ≥ 10 mm, nodal short axis ≥ 15 mm. */
export function isMeasurable(l: TimelineLesion): boolean {
  return l.isNode ? l.shortAxisMm >= 15 : l.longAxisMm >= 10;
}

/** The diameter that enters the sum: the short axis of a node, the long axis otherwise. */
export function recistDiameterMm(l: TimelineLesion): number {
  return l.isNode ? l.shortAxisMm : l.longAxisMm;
}

/** Up to 5 target lesions, at most 2 per organ, largest first (ties by id, so the choice is reproducible). */
export function selectTargets(baseline: TimelineLesion[]): TimelineLesion[] {
  const candidates = baseline.filter(isMeasurable).sort((a, b) => recistDiameterMm(b) - recistDiameterMm(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const perOrgan = new Map<string, number>();
  const out: TimelineLesion[] = [];
  for (const l of candidates) {
    if (out.length === 5) break;
    const n = perOrgan.get(l.organ) ?? 0;
    if (n >= 2) continue;
    perOrgan.set(l.organ, n + 1);
    out.push(l);
  }
  return out;
}

/** Translation that carries `from` onto `to`: the mean shift of the organ centroids both time points have (else none). */
export function alignmentShiftLps(from: Timepoint, to: Timepoint): Vec3 {
  const shift: Vec3 = [0, 0, 0];
  let n = 0;
  for (const a of from.labels) {
    if (!a.isOrgan || !a.centroidLps) continue;
    const b = to.labels.find((x) => x.isOrgan && x.name === a.name && x.centroidLps);
    if (!b?.centroidLps) continue;
    for (let k = 0; k < 3; k++) shift[k] += b.centroidLps[k] - a.centroidLps[k];
    n++;
  }
  return n > 0 ? (shift.map((s) => s / n) as Vec3) : shift;
}

export interface LesionMatch {
  fromId: string;
  toId: string;
  distanceMm: number;
  /** Set by the user rather than found by position. */
  edited?: boolean;
}

export interface LesionMatching {
  matches: LesionMatch[];
  unmatchedFrom: string[];
  unmatchedTo: string[];
}

/**
 * The automatic matching with the user's edits of this pair of time points applied in order. An edit naming a lesion
 * that neither time point has (the study was measured again since) is skipped and returned in `ignored`.
 */
export function applyMatchEdits(from: Timepoint, to: Timepoint, auto: LesionMatching, edits: MatchEdit[]): LesionMatching & { ignored: MatchEdit[] } {
  const shift = alignmentShiftLps(from, to);
  let matches = auto.matches.slice();
  const ignored: MatchEdit[] = [];
  for (const e of edits) {
    if (e.fromKey !== from.key || e.toKey !== to.key) continue;
    const a = from.lesions.find((l) => l.id === e.fromId);
    const b = e.toId === null ? null : to.lesions.find((l) => l.id === e.toId);
    if (!a || b === undefined) {
      ignored.push(e);
      continue;
    }
    matches = matches.filter((m) => m.fromId !== a.id && (b === null || m.toId !== b.id));
    if (b) {
      const distanceMm = Math.hypot(...([0, 1, 2].map((k) => a.centroidLps[k] + shift[k] - b.centroidLps[k]) as [number, number, number]));
      matches.push({ fromId: a.id, toId: b.id, distanceMm, edited: true });
    }
  }
  const usedFrom = new Set(matches.map((m) => m.fromId));
  const usedTo = new Set(matches.map((m) => m.toId));
  return {
    matches,
    unmatchedFrom: from.lesions.filter((l) => !usedFrom.has(l.id)).map((l) => l.id),
    unmatchedTo: to.lesions.filter((l) => !usedTo.has(l.id)).map((l) => l.id),
    ignored,
  };
}

/**
 * Pairs lesions of two time points: closest aligned centroids first, each lesion at most once, only within
 * `matchDistanceMm`; lesions of different organs never pair.
 */
export function matchLesions(from: Timepoint, to: Timepoint, opts: RecistOptions = {}): LesionMatching {
  const limit = opts.matchDistanceMm ?? 15;
  const shift = alignmentShiftLps(from, to);
  const pairs: LesionMatch[] = [];
  for (const a of from.lesions) {
    for (const b of to.lesions) {
      if (a.organ !== b.organ) continue;
      const d = Math.hypot(
        a.centroidLps[0] + shift[0] - b.centroidLps[0],
        a.centroidLps[1] + shift[1] - b.centroidLps[1],
        a.centroidLps[2] + shift[2] - b.centroidLps[2],
      );
      if (d <= limit) pairs.push({ fromId: a.id, toId: b.id, distanceMm: d });
    }
  }
  pairs.sort((p, q) => p.distanceMm - q.distanceMm || (p.fromId < q.fromId ? -1 : 1) || (p.toId < q.toId ? -1 : 1));
  const usedFrom = new Set<string>();
  const usedTo = new Set<string>();
  const matches: LesionMatch[] = [];
  for (const p of pairs) {
    if (usedFrom.has(p.fromId) || usedTo.has(p.toId)) continue;
    usedFrom.add(p.fromId);
    usedTo.add(p.toId);
    matches.push(p);
  }
  return {
    matches,
    unmatchedFrom: from.lesions.filter((l) => !usedFrom.has(l.id)).map((l) => l.id),
    unmatchedTo: to.lesions.filter((l) => !usedTo.has(l.id)).map((l) => l.id),
  };
}

export interface LabelChange {
  name: string;
  volumeMl: number;
  volumeMlLower: number;
  volumeMlUpper: number;
  /** Against the previous time point; null at baseline or when the label was absent there. */
  changeMl: number | null;
  changePercent: number | null;
  /** The change lies within the two bands' overlap: it is not distinguishable from measurement uncertainty. */
  withinBands: boolean | null;
}

export interface TimepointResponse {
  key: string;
  date: string;
  /** Sum of target diameters (mm); at baseline the reference sum. */
  sumMm: number;
  /** Smallest sum before this time point (baseline included); null at baseline. */
  nadirMm: number | null;
  changeFromBaselinePercent: number | null;
  changeFromNadirMm: number | null;
  changeFromNadirPercent: number | null;
  /** Where each target is at this time point (null: not found, counted as 0 mm — disappeared). */
  targets: { baselineId: string; id: string | null; diameterMm: number }[];
  newLesions: string[];
  /** Lesions of the previous time point not found at this one. */
  vanishedLesions: string[];
  /** This time point's lesions, and how they pair with the previous time point's (empty at baseline). */
  lesions: TimelineLesion[];
  matches: LesionMatch[];
  /** Edits of this pair that no longer apply (a study measured again since): they were skipped. */
  ignoredEdits: MatchEdit[];
  response: RecistResponse | null;
  labels: LabelChange[];
}

const EPS = 1e-9;

/** RECIST 1.1 target-lesion response of one follow-up. */
export function targetResponse(sumMm: number, baselineSumMm: number, nadirMm: number, targetsGone: boolean, newLesion: boolean): RecistResponse {
  // progression: ≥ 20 % above the nadir AND ≥ 5 mm absolute; or any new lesion
  if (newLesion || (sumMm - nadirMm >= 0.2 * nadirMm - EPS && sumMm - nadirMm >= 5 - EPS)) return 'PD';
  if (targetsGone) return 'CR';
  // partial response: ≥ 30 % below the baseline sum
  if (sumMm <= 0.7 * baselineSumMm + EPS) return 'PR';
  return 'SD';
}

function labelChanges(prev: Timepoint | null, cur: Timepoint): LabelChange[] {
  return cur.labels.map((l) => {
    const p = prev?.labels.find((x) => x.name === l.name) ?? null;
    if (!p) return { ...pick(l), changeMl: null, changePercent: null, withinBands: null };
    const changeMl = l.volumeMl - p.volumeMl;
    return {
      ...pick(l),
      changeMl,
      changePercent: p.volumeMl > 0 ? (100 * changeMl) / p.volumeMl : null,
      withinBands: l.volumeMlLower <= p.volumeMlUpper && p.volumeMlLower <= l.volumeMlUpper,
    };
  });
}

function pick(l: TimelineLabel): Pick<LabelChange, 'name' | 'volumeMl' | 'volumeMlLower' | 'volumeMlUpper'> {
  return { name: l.name, volumeMl: l.volumeMl, volumeMlLower: l.volumeMlLower, volumeMlUpper: l.volumeMlUpper };
}

/**
 * The response at every time point (the first is the baseline). Targets are chosen at baseline and followed by
 * matching each time point to the previous one; a lesion is new when it matches no lesion of any earlier time point.
 */
export function recistTimeline(timepoints: Timepoint[], opts: RecistOptions = {}): { targets: TimelineLesion[]; timepoints: TimepointResponse[] } {
  if (timepoints.length === 0) return { targets: [], timepoints: [] };
  const baseline = timepoints[0];
  const targets = selectTargets(baseline.lesions);
  const baselineSum = targets.reduce((s, l) => s + recistDiameterMm(l), 0);
  // where each target is, as an id at the current time point (null once lost)
  let where = new Map<string, string | null>(targets.map((t) => [t.id, t.id]));
  let nadir = baselineSum;
  const out: TimepointResponse[] = [
    {
      key: baseline.key,
      date: baseline.date,
      sumMm: baselineSum,
      nadirMm: null,
      changeFromBaselinePercent: null,
      changeFromNadirMm: null,
      changeFromNadirPercent: null,
      targets: targets.map((t) => ({ baselineId: t.id, id: t.id, diameterMm: recistDiameterMm(t) })),
      newLesions: [],
      vanishedLesions: [],
      lesions: baseline.lesions,
      matches: [],
      ignoredEdits: [],
      response: null,
      labels: labelChanges(null, baseline),
    },
  ];
  for (let n = 1; n < timepoints.length; n++) {
    const prev = timepoints[n - 1];
    const cur = timepoints[n];
    const step = applyMatchEdits(prev, cur, matchLesions(prev, cur, opts), opts.matchEdits ?? []);
    const toCur = new Map(step.matches.map((m) => [m.fromId, m.toId]));
    where = new Map([...where].map(([b, id]) => [b, id === null ? null : (toCur.get(id) ?? null)]));
    // new: unmatched to the previous time point and to every earlier one
    const minNew = opts.minNewLesionMm ?? 0;
    const newLesions = step.unmatchedTo.filter((id) => {
      const l = cur.lesions.find((x) => x.id === id)!;
      if (l.longAxisMm < minNew) return false;
      return timepoints.slice(0, n - 1).every((earlier) => !matchLesions(earlier, { ...cur, lesions: [l] }, opts).matches.length);
    });
    const byId = new Map(cur.lesions.map((l) => [l.id, l]));
    const tracked = targets.map((t) => {
      const id = where.get(t.id) ?? null;
      const l = id !== null ? byId.get(id) : undefined;
      return { baselineId: t.id, id, diameterMm: l ? recistDiameterMm({ ...l, isNode: t.isNode }) : 0, node: t.isNode === true };
    });
    const sum = tracked.reduce((s, t) => s + t.diameterMm, 0);
    // CR: every non-nodal target gone and every nodal target < 10 mm short axis
    const targetsGone = targets.length > 0 && tracked.every((t) => (t.node ? t.diameterMm < 10 : t.diameterMm === 0));
    const response = targets.length === 0 && newLesions.length === 0 ? 'NE' : targetResponse(sum, baselineSum, nadir, targetsGone, newLesions.length > 0);
    out.push({
      key: cur.key,
      date: cur.date,
      sumMm: sum,
      nadirMm: nadir,
      changeFromBaselinePercent: baselineSum > 0 ? (100 * (sum - baselineSum)) / baselineSum : null,
      changeFromNadirMm: sum - nadir,
      changeFromNadirPercent: nadir > 0 ? (100 * (sum - nadir)) / nadir : null,
      targets: tracked.map(({ node: _n, ...t }) => t),
      newLesions,
      vanishedLesions: step.unmatchedFrom,
      lesions: cur.lesions,
      matches: step.matches,
      ignoredEdits: step.ignored,
      response,
      labels: labelChanges(prev, cur),
    });
    nadir = Math.min(nadir, sum);
  }
  return { targets, timepoints: out };
}
