// RECIST 1.1 on constructed timelines: target selection (≤ 5, ≤ 2 per organ, measurability, nodes by short axis), each
// response category, the edges (exactly +20 %, the 5 mm rule, exactly −30 %, the nadir), new lesions, matching after
// alignment on organ centroids, and volume changes flagged within the bands' overlap.
import { describe, expect, it } from 'vitest';
import {
  matchLesions,
  recistTimeline,
  selectTargets,
  targetResponse,
  type TimelineLabel,
  type TimelineLesion,
  type Timepoint,
} from '../../../shared/domain/measure/recistResponse.js';
import type { Vec3 } from '../../../shared/domain/volume.js';

const lesion = (id: string, organ: string, at: Vec3, longAxisMm: number, shortAxisMm = longAxisMm * 0.7, isNode = false): TimelineLesion => ({
  id,
  organ,
  centroidLps: at,
  longAxisMm,
  shortAxisMm,
  isNode,
});
const tp = (key: string, lesions: TimelineLesion[], labels: TimelineLabel[] = []): Timepoint => ({ key, date: key, lesions, labels });
const A: Vec3 = [0, 0, 0];
const B: Vec3 = [60, 0, 0];
const C: Vec3 = [0, 80, 0];

/** Baseline with two targets (30 + 20 = 50 mm) and one follow-up where they measure `a` and `b` mm. */
function twoTargets(a: number, b: number, extra: TimelineLesion[] = []) {
  return recistTimeline([
    tp('T0', [lesion('a', 'liver', A, 30), lesion('b', 'lung', B, 20)]),
    tp('T1', [lesion('a1', 'liver', A, a), lesion('b1', 'lung', B, b), ...extra]),
  ]);
}

describe('RECIST 1.1 target selection', () => {
  it('takes at most 5 measurable lesions, at most 2 per organ, largest first; nodes by short axis ≥ 15 mm', () => {
    const baseline = [
      lesion('l1', 'liver', A, 50),
      lesion('l2', 'liver', [0, 0, 30], 40),
      lesion('l3', 'liver', [0, 0, 60], 45), // third liver lesion: not a target
      lesion('p1', 'lung', B, 12),
      lesion('p2', 'lung', [60, 0, 30], 9.9), // < 10 mm: not measurable
      lesion('n1', 'node', C, 30, 16, true), // node, short axis 16 ≥ 15
      lesion('n2', 'node', [0, 80, 30], 40, 14, true), // node, short axis 14: not measurable though long
      lesion('k1', 'kidney', [30, 30, 0], 11),
      lesion('s1', 'spleen', [30, 60, 0], 10),
    ];
    const targets = selectTargets(baseline).map((t) => t.id);
    expect(targets).toEqual(['l1', 'l3', 'n1', 'p1', 'k1']);
  });
});

describe('RECIST 1.1 response', () => {
  it('PD at exactly +20 % with ≥ 5 mm; SD just below', () => {
    expect(twoTargets(36, 24).timepoints[1]).toMatchObject({ sumMm: 60, nadirMm: 50, response: 'PD' });
    expect(twoTargets(35.9, 24).timepoints[1].response).toBe('SD');
    expect(targetResponse(60, 50, 50, false, false)).toBe('PD');
  });

  it('the 5 mm rule: +20 % of a small sum is not progression until it is 5 mm', () => {
    const small = (mm: number) => recistTimeline([tp('T0', [lesion('a', 'liver', A, 20)]), tp('T1', [lesion('a1', 'liver', A, mm)])]).timepoints[1];
    expect(small(24)).toMatchObject({ changeFromNadirPercent: 20, response: 'SD' }); // +20 % but +4 mm
    expect(small(24.9).response).toBe('SD'); // +24.5 %, +4.9 mm
    expect(small(25).response).toBe('PD'); // +25 %, +5 mm
  });

  it('PR at exactly −30 % from baseline; SD just above', () => {
    expect(twoTargets(21, 14).timepoints[1]).toMatchObject({ sumMm: 35, changeFromBaselinePercent: -30, response: 'PR' });
    expect(twoTargets(21.1, 14).timepoints[1].response).toBe('SD');
  });

  it('progression is measured from the nadir, not the baseline', () => {
    const r = recistTimeline([
      tp('T0', [lesion('a', 'liver', A, 30), lesion('b', 'lung', B, 20)]),
      tp('T1', [lesion('a', 'liver', A, 18), lesion('b', 'lung', B, 12)]), // 30: PR
      tp('T2', [lesion('a', 'liver', A, 22), lesion('b', 'lung', B, 14)]), // 36: +20 % and +6 mm over the nadir 30
    ]).timepoints;
    expect(r.map((t) => t.response)).toEqual([null, 'PR', 'PD']);
    expect(r[2]).toMatchObject({ nadirMm: 30, sumMm: 36, changeFromNadirMm: 6 });
    expect(r[2].changeFromBaselinePercent).toBeCloseTo(-28, 9);
  });

  it('CR when every target is gone and target nodes are below 10 mm short axis', () => {
    const base = [lesion('a', 'liver', A, 30), lesion('n', 'node', C, 25, 18, true)];
    const cr = recistTimeline([tp('T0', base), tp('T1', [lesion('n1', 'node', C, 12, 9.5, true)])]).timepoints[1];
    expect(cr.response).toBe('CR');
    expect(cr.targets).toEqual([
      { baselineId: 'a', id: null, diameterMm: 0 },
      { baselineId: 'n', id: 'n1', diameterMm: 9.5 },
    ]);
    expect(cr.vanishedLesions).toEqual(['a']);
    // a node still at 10 mm is not a complete response (48 → 10 mm is a partial one)
    expect(recistTimeline([tp('T0', base), tp('T1', [lesion('n1', 'node', C, 12, 10, true)])]).timepoints[1].response).toBe('PR');
  });

  it('a new lesion is PD even when the targets shrink', () => {
    const r = twoTargets(10, 5, [lesion('x', 'bone', [100, 100, 100], 6)]).timepoints[1];
    expect(r.newLesions).toEqual(['x']);
    expect(r.response).toBe('PD');
    // below a minimum size the unmatched lesion is not counted as new
    const ignored = recistTimeline(
      [tp('T0', [lesion('a', 'liver', A, 30)]), tp('T1', [lesion('a1', 'liver', A, 10), lesion('x', 'bone', [100, 100, 100], 3)])],
      { minNewLesionMm: 5 },
    );
    expect(ignored.timepoints[1]).toMatchObject({ newLesions: [], response: 'PR' });
  });

  it('a lesion seen before (vanished, then back) is not new', () => {
    const r = recistTimeline([
      tp('T0', [lesion('a', 'liver', A, 30), lesion('s', 'liver', [0, 0, 50], 6)]),
      tp('T1', [lesion('a', 'liver', A, 30)]),
      tp('T2', [lesion('a', 'liver', A, 30), lesion('s2', 'liver', [0, 0, 51], 6)]),
    ]).timepoints;
    expect(r[1].vanishedLesions).toEqual(['s']);
    expect(r[2]).toMatchObject({ newLesions: [], response: 'SD' });
  });

  it('matches lesions after aligning on organ centroids (a patient shifted by 40 mm)', () => {
    const shift: Vec3 = [40, -10, 25];
    const moved = (p: Vec3): Vec3 => [p[0] + shift[0], p[1] + shift[1], p[2] + shift[2]];
    const organ = (at: Vec3): TimelineLabel => ({ name: 'liver', volumeMl: 1500, volumeMlLower: 1450, volumeMlUpper: 1550, centroidLps: at, isOrgan: true });
    const t0 = tp('T0', [lesion('a', 'liver', A, 30), lesion('b', 'liver', [20, 0, 0], 15)], [organ([5, 5, 5])]);
    const t1 = tp('T1', [lesion('b1', 'liver', moved([20, 0, 0]), 15), lesion('a1', 'liver', moved(A), 31)], [organ(moved([5, 5, 5]))]);
    expect(matchLesions(t0, t1).matches.map((m) => [m.fromId, m.toId])).toEqual([
      ['a', 'a1'],
      ['b', 'b1'],
    ]);
    expect(recistTimeline([t0, t1]).timepoints[1]).toMatchObject({ sumMm: 46, newLesions: [], response: 'SD' });
    // without the organ to align on, the shifted lesions look new: PD — the alignment is what prevents it
    const bare = recistTimeline([
      { ...t0, labels: [] },
      { ...t1, labels: [] },
    ]).timepoints[1];
    expect(bare.newLesions.sort()).toEqual(['a1', 'b1']);
    expect(bare.response).toBe('PD');
  });

  it('no measurable target and no new lesion: not evaluable', () => {
    expect(recistTimeline([tp('T0', [lesion('a', 'liver', A, 8)]), tp('T1', [lesion('a', 'liver', A, 9)])]).timepoints[1].response).toBe('NE');
  });
});

describe('label volume change', () => {
  it('gives mL and % against the previous time point, flagged when within the bands overlap', () => {
    const lab = (volumeMl: number, half: number): TimelineLabel => ({
      name: 'liver',
      volumeMl,
      volumeMlLower: volumeMl - half,
      volumeMlUpper: volumeMl + half,
      centroidLps: A,
      isOrgan: true,
    });
    const r = recistTimeline([tp('T0', [], [lab(100, 5)]), tp('T1', [], [lab(108, 5)]), tp('T2', [], [lab(140, 5)])]).timepoints;
    expect(r[0].labels[0]).toMatchObject({ changeMl: null, withinBands: null });
    expect(r[1].labels[0]).toMatchObject({ changeMl: 8, changePercent: 8, withinBands: true }); // 95–105 vs 103–113
    expect(r[2].labels[0].changeMl).toBeCloseTo(32, 9);
    expect(r[2].labels[0].withinBands).toBe(false); // 103–113 vs 135–145
  });
});
