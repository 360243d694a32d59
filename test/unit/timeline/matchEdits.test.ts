// The user's corrections of the lesion matching (timeline view): re-pairing and unpairing on constructed timelines, and
// the RECIST response recomputed from the corrected matching.
import { describe, expect, it } from 'vitest';
import { recistTimeline, type TimelineLesion, type Timepoint } from '../../../shared/domain/measure/recistResponse.js';
import type { Vec3 } from '../../../shared/domain/volume.js';

const lesion = (id: string, at: Vec3, longAxisMm: number): TimelineLesion => ({ id, organ: 'liver', centroidLps: at, longAxisMm, shortAxisMm: longAxisMm / 2 });
const tp = (key: string, lesions: TimelineLesion[]): Timepoint => ({ key, date: key, lesions, labels: [] });

// baseline a (30 mm) and b (20 mm) far apart; at follow-up a grew to 33 mm, b stayed 20 mm: +6 % → SD
const T0 = tp('T0', [lesion('a', [0, 0, 0], 30), lesion('b', [0, 0, 100], 20)]);
const T1 = tp('T1', [lesion('a1', [0, 0, 2], 33), lesion('b1', [0, 0, 98], 20)]);

describe('lesion matching corrected by the user', () => {
  it('follows the automatic matching when there are no corrections', () => {
    const r = recistTimeline([T0, T1]).timepoints[1];
    expect(r.matches.map((m) => [m.fromId, m.toId, m.edited ?? false])).toEqual([
      ['a', 'a1', false],
      ['b', 'b1', false],
    ]);
    expect(r.sumMm).toBe(53);
    expect(r.response).toBe('SD');
  });

  it('unpairing a target loses it (0 mm) and makes its former partner a new lesion: PD', () => {
    const r = recistTimeline([T0, T1], { matchEdits: [{ fromKey: 'T0', toKey: 'T1', fromId: 'b', toId: null }] }).timepoints[1];
    expect(r.matches.map((m) => m.fromId)).toEqual(['a']);
    expect(r.targets.find((t) => t.baselineId === 'b')).toEqual({ baselineId: 'b', id: null, diameterMm: 0 });
    expect(r.newLesions).toEqual(['b1']);
    expect(r.vanishedLesions).toEqual(['b']);
    expect(r.response).toBe('PD');
  });

  it('re-pairing crosswise moves each partner (the other pair is dissolved), and the sums follow', () => {
    // pair a with b1: a1 and b lose their partners
    const r = recistTimeline([T0, T1], { matchEdits: [{ fromKey: 'T0', toKey: 'T1', fromId: 'a', toId: 'b1' }] }).timepoints[1];
    expect(r.matches).toEqual([{ fromId: 'a', toId: 'b1', distanceMm: 98, edited: true }]);
    expect(r.targets.map((t) => [t.baselineId, t.id, t.diameterMm])).toEqual([
      ['a', 'b1', 20],
      ['b', null, 0],
    ]);
    expect(r.newLesions).toEqual(['a1']);
    // then pair b with a1 too: both targets found again, sum 20 + 33
    const both = recistTimeline([T0, T1], {
      matchEdits: [
        { fromKey: 'T0', toKey: 'T1', fromId: 'a', toId: 'b1' },
        { fromKey: 'T0', toKey: 'T1', fromId: 'b', toId: 'a1' },
      ],
    }).timepoints[1];
    expect(both.sumMm).toBe(53);
    expect(both.newLesions).toEqual([]);
    // sum 20 (a → b1 at 20 mm) + 33 = 53: same as before, no new lesion: SD again
    expect(both.response).toBe('SD');
  });

  it('pairing a lesion the automatic matching left alone turns a new lesion into a followed one', () => {
    // c1 is 40 mm away from every baseline lesion: new (PD) until the user says it is b moved
    const T1far = tp('T1', [lesion('a1', [0, 0, 2], 30), lesion('c1', [40, 0, 100], 20)]);
    expect(recistTimeline([T0, T1far]).timepoints[1]).toMatchObject({ newLesions: ['c1'], response: 'PD' });
    const r = recistTimeline([T0, T1far], { matchEdits: [{ fromKey: 'T0', toKey: 'T1', fromId: 'b', toId: 'c1' }] }).timepoints[1];
    expect(r).toMatchObject({ newLesions: [], vanishedLesions: [], sumMm: 50, response: 'SD' });
  });

  it('skips a correction naming a lesion that is not there, and says so; corrections of other pairs do not apply', () => {
    const stale = { fromKey: 'T0', toKey: 'T1', fromId: 'zz', toId: 'a1' };
    const other = { fromKey: 'T1', toKey: 'T2', fromId: 'a1', toId: null };
    const r = recistTimeline([T0, T1], { matchEdits: [stale, other] }).timepoints[1];
    expect(r.ignoredEdits).toEqual([stale]);
    expect(r.response).toBe('SD');
    expect(r.matches.length).toBe(2);
  });
});
