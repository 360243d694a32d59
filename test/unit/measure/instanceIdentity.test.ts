// Lesion numbers (shared/domain/measure/instanceIdentity.ts) through measureLabelMap on synthetic label maps:
// unchanged lesions keep their numbers whatever else changes; joins keep the lower number; splits, new lesions
// and lesions whose anchor was erased get new numbers, never a retired one.
import { describe, expect, it } from 'vitest';
import { measureLabelMap, type MeasurementResult } from '../../../shared/domain/measure/measureLabels.js';
import { anchorVoxel, type PreviousInstance } from '../../../shared/domain/measure/instanceIdentity.js';
import type { LabelMap } from '../../../shared/domain/labelMap.js';
import type { GeometryReport } from '../../../shared/domain/geometry.js';
import { identityDirection, type Vec3 } from '../../../shared/domain/volume.js';

const DIMS: Vec3 = [40, 30, 10];
const OK: GeometryReport = { status: 'ok', findings: [] };
const LESION = 3;
const OTHER_LESION = 4;
const ORGAN = 1;

function emptyMap(): LabelMap {
  return {
    dims: DIMS,
    spacingMm: [1, 1, 2],
    originLps: [0, 0, 0],
    directionLps: identityDirection(),
    labels: new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]),
    table: [
      { value: ORGAN, name: 'liver', colorRgb: [200, 0, 0], kind: 'organ' },
      { value: LESION, name: 'tumour', colorRgb: [0, 200, 0], kind: 'lesion' },
      { value: OTHER_LESION, name: 'node', colorRgb: [0, 0, 200], kind: 'lesion' },
    ],
  };
}

/** Fills the inclusive box with a value. */
function box(m: LabelMap, lo: Vec3, hi: Vec3, value: number): void {
  for (let k = lo[2]; k <= hi[2]; k++)
    for (let j = lo[1]; j <= hi[1]; j++) for (let i = lo[0]; i <= hi[0]; i++) m.labels[i + DIMS[0] * (j + DIMS[1] * k)] = value;
}

const measure = (m: LabelMap, history?: MeasurementResult[]): MeasurementResult => {
  const previous: PreviousInstance[] = [...(history ?? [])]
    .reverse()
    .flatMap((r, runsAgo) => r.labels.flatMap((l) => l.instances.map((i) => ({ labelValue: l.value, instanceId: i.id, anchorIjk: i.anchorIjk, runsAgo }))));
  const used = Math.max(0, ...(history ?? []).flatMap((r) => r.labels.flatMap((l) => l.instances.map((i) => i.id))));
  return measureLabelMap(null, m, OK, { previousInstances: previous, firstNewInstanceId: used + 1 });
};
/** Lesion number by a voxel it contains (the box's centre), per label. */
const idAt = (r: MeasurementResult, label: number, centre: Vec3): number | undefined => {
  const l = r.labels.find((x) => x.value === label)!;
  return l.instances.find((i) => i.anchorIjk.every((v, a) => Math.abs(v - centre[a]) <= 1))?.id;
};

describe('lesion numbers', () => {
  it('the anchor is the voxel nearest the centroid (mm), inside the lesion even for a ring-like crescent', () => {
    const m = emptyMap();
    box(m, [10, 10, 4], [14, 14, 4], LESION);
    const idx: number[] = [];
    m.labels.forEach((v, p) => v === LESION && idx.push(p));
    expect(anchorVoxel(idx, m)).toEqual([12, 12, 4]);
    // A C shape: the centroid falls in the gap; the anchor is still one of its voxels.
    const c = emptyMap();
    box(c, [10, 10, 4], [16, 10, 4], LESION);
    box(c, [10, 16, 4], [16, 16, 4], LESION);
    box(c, [10, 10, 4], [10, 16, 4], LESION);
    const cIdx: number[] = [];
    c.labels.forEach((v, p) => v === LESION && cIdx.push(p));
    const [i, j, k] = anchorVoxel(cIdx, c);
    expect(c.labels[i + DIMS[0] * (j + DIMS[1] * k)]).toBe(LESION);
  });

  it('untouched lesions keep their numbers when a lesion appears before them in scan order, another is erased, or another label changes', () => {
    const m = emptyMap();
    box(m, [5, 20, 5], [7, 22, 6], LESION); // A
    box(m, [20, 20, 5], [22, 22, 6], LESION); // B
    box(m, [30, 20, 5], [32, 22, 6], OTHER_LESION); // C (another lesion label)
    const r1 = measure(m);
    const A: Vec3 = [6, 21, 5];
    const B: Vec3 = [21, 21, 5];
    const C: Vec3 = [31, 21, 5];
    expect([idAt(r1, LESION, A), idAt(r1, LESION, B), idAt(r1, OTHER_LESION, C)]).toEqual([1, 2, 3]);

    box(m, [15, 2, 0], [17, 4, 1], LESION); // D: first in scan order
    box(m, [0, 0, 8], [39, 29, 9], ORGAN); // an organ edit
    const r2 = measure(m, [r1]);
    expect([idAt(r2, LESION, A), idAt(r2, LESION, B), idAt(r2, OTHER_LESION, C), idAt(r2, LESION, [16, 3, 0])]).toEqual([1, 2, 3, 4]);
    // Without the history, scan order would have renumbered them all (D first): what the history prevents.
    expect(idAt(measure(m), LESION, [16, 3, 0])).toBe(1);

    box(m, [20, 20, 5], [22, 22, 6], 0); // B erased
    const r3 = measure(m, [r1, r2]);
    expect([idAt(r3, LESION, A), idAt(r3, OTHER_LESION, C), idAt(r3, LESION, [16, 3, 0])]).toEqual([1, 3, 4]);
    // A lesion drawn again where B was holds B's anchor: it is B again. One drawn elsewhere is new (5, not 2).
    box(m, [20, 20, 5], [22, 22, 6], LESION);
    box(m, [25, 5, 5], [27, 7, 6], LESION);
    const r4 = measure(m, [r1, r2, r3]);
    expect(idAt(r4, LESION, B)).toBe(2);
    expect(idAt(r4, LESION, [26, 6, 5])).toBe(5);
    expect(r4.labels.find((l) => l.value === LESION)!.instances.map((i) => i.id)).toEqual([1, 2, 4, 5]);
  });

  it('a lesion grown or trimmed at its rim keeps its number; joined lesions keep the lower; a split part gets a new one', () => {
    const m = emptyMap();
    box(m, [5, 5, 2], [9, 9, 4], LESION); // A: 5x5x3, anchor [7, 7, 3]
    box(m, [15, 5, 2], [19, 9, 4], LESION); // B
    const r1 = measure(m);
    expect([idAt(r1, LESION, [7, 7, 3]), idAt(r1, LESION, [17, 7, 3])]).toEqual([1, 2]);

    box(m, [5, 5, 2], [9, 5, 4], 0); // A trimmed at its rim
    box(m, [5, 10, 2], [9, 10, 4], LESION); // and grown on the other side
    const r2 = measure(m, [r1]);
    expect(r2.labels.find((l) => l.value === LESION)!.instances.map((i) => i.id)).toEqual([1, 2]);

    box(m, [10, 6, 3], [14, 8, 3], LESION); // a bridge joins A and B
    const r3 = measure(m, [r1, r2]);
    const joined = r3.labels.find((l) => l.value === LESION)!.instances;
    expect(joined.map((i) => i.id)).toEqual([1]);

    box(m, [10, 0, 0], [14, 29, 9], 0); // cut through the bridge and beyond: A and B apart again
    const r4 = measure(m, [r1, r2, r3]);
    const parts = r4.labels.find((l) => l.value === LESION)!.instances;
    // The joined lesion's anchor lay on the bridge, now gone; each part holds its anchor from before the join.
    expect(idAt(r4, LESION, [7, 8, 3])).toBe(1);
    expect(idAt(r4, LESION, [17, 7, 3])).toBe(2);
    expect(parts).toHaveLength(2);
    // A part that holds no anchor of any earlier run is new: above every number used so far.
    box(m, [30, 20, 2], [32, 22, 3], LESION);
    expect(idAt(measure(m, [r1, r2, r3, r4]), LESION, [31, 21, 2])).toBe(3);
  });
});
