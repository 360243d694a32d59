// Series assembly on synthetic headers with known geometry: sorting, splitting, every geometry finding, the
// info JSON shape, and buildVolume's filling (types, gap interpolation, tilt shift) with a fake decoder.
import { describe, expect, it } from 'vitest';
import { assembleSeries, stackToInfoJson } from '../../../main/services/series/assemble.js';
import { buildVolume } from '../../../main/services/series/buildVolume.js';
import type { DecodedFrame, DicomFrameInfo, DicomInstance } from '../../../main/services/dicom/types.js';
import type { Vec3 } from '../../../shared/domain/volume.js';

let uid = 0;
interface Opts {
  ipp?: Vec3 | null;
  iop?: [Vec3, Vec3] | null;
  instanceNumber?: number;
  series?: string;
  rows?: number;
  columns?: number;
  frameOfReferenceUid?: string;
  acquisitionNumber?: number;
  temporal?: number;
  spacingSource?: DicomFrameInfo['pixelSpacingSource'];
  sliceThicknessMm?: number;
}
const AXIAL: [Vec3, Vec3] = [
  [1, 0, 0],
  [0, 1, 0],
];

function inst(o: Opts): DicomInstance {
  uid++;
  const source = o.spacingSource ?? 'PixelSpacing';
  return {
    path: `/fake/file${uid}.dcm`,
    sopInstanceUid: `1.2.3.${uid}`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    patientId: 'P',
    patientName: 'N',
    studyInstanceUid: '1.2',
    seriesInstanceUid: o.series ?? '1.2.9',
    modality: 'CT',
    seriesDescription: 'synthetic',
    instanceNumber: o.instanceNumber,
    frameOfReferenceUid: o.frameOfReferenceUid ?? '1.2.7',
    acquisitionNumber: o.acquisitionNumber,
    rows: o.rows ?? 4,
    columns: o.columns ?? 3,
    samplesPerPixel: 1,
    photometricInterpretation: 'MONOCHROME2',
    bitsAllocated: 16,
    bitsStored: 16,
    highBit: 15,
    pixelRepresentation: 1,
    planarConfiguration: 0,
    numberOfFrames: 1,
    sliceThicknessMm: o.sliceThicknessMm ?? 5,
    isEnhanced: false,
    hasPixelData: true,
    frames: [
      {
        frameIndex: 0,
        imagePositionPatient: o.ipp === null ? undefined : (o.ipp ?? [0, 0, 0]),
        imageOrientationPatient: o.iop === null ? undefined : (o.iop ?? AXIAL),
        pixelSpacingMm: source === 'none' ? undefined : [0.5, 0.8],
        pixelSpacingSource: source,
        rescaleSlope: 1,
        rescaleIntercept: 0,
        temporalPositionIndex: o.temporal,
      },
    ],
  };
}

const axialAt = (zs: number[], extra: Opts = {}): DicomInstance[] => zs.map((z, n) => inst({ ipp: [-10, -20, z], instanceNumber: n + 1, ...extra }));
const codes = (s: { geometry: { findings: Array<{ code: string }> } }): string[] => s.geometry.findings.map((f) => f.code).sort();

describe('assembleSeries', () => {
  it('sorts by position along the normal, not by instance number or file order; spacing from positions', () => {
    const list = axialAt([30, 10, 20, 0, 40]).reverse();
    list.forEach((x, n) => (x.instanceNumber = [3, 1, 5, 2, 4][n]));
    const [s] = assembleSeries(list);
    expect(s.frames.map((f) => f.instance.frames[0].imagePositionPatient?.[2])).toEqual([0, 10, 20, 30, 40]);
    expect(s.dims).toEqual([3, 4, 5]);
    expect(s.spacingMm).toEqual([0.5, 0.8, 10]); // SliceThickness is 5: not used
    expect(s.originLps).toEqual([-10, -20, 0]);
    expect(s.geometry).toEqual({ status: 'ok', findings: [] });
  });

  it('oblique (sagittal) stacks: direction rows are IOP row, IOP column and their cross product', () => {
    const iop: [Vec3, Vec3] = [
      [0, 1, 0],
      [0, 0, -1],
    ];
    // normal = row × col = (-1, 0, 0): slices at x = 5, 0, -5 sort as 5 (d=-5) … -5 (d=5)
    const list = [0, 5, -5].map((x, n) => inst({ ipp: [x, 0, 0], iop, instanceNumber: n }));
    const [s] = assembleSeries(list);
    expect(s.directionLps).toEqual(
      [
        [0, 1, 0],
        [0, 0, -1],
        [-1, 0, 0],
      ].map((r) => r.map((v) => v + 0)),
    );
    expect(s.originLps).toEqual([5, 0, 0]);
    expect(s.spacingMm[2]).toBeCloseTo(5, 12);
  });

  it('splits a series by orientation, size and frame of reference', () => {
    const cor: [Vec3, Vec3] = [
      [1, 0, 0],
      [0, 0, -1],
    ];
    const list = [
      ...axialAt([0, 1, 2]),
      ...[0, 1].map((y) => inst({ ipp: [0, y, 0], iop: cor })),
      ...axialAt([0, 1], { rows: 8 }),
      ...axialAt([5, 6], { frameOfReferenceUid: '9.9' }),
    ];
    const stacks = assembleSeries(list);
    expect(stacks.map((s) => s.frames.length).sort()).toEqual([2, 2, 2, 3]);
    expect(new Set(stacks.map((s) => s.stackKey)).size).toBe(4);
    expect(stacks.every((s) => s.stackKey.startsWith('1.2.9#'))).toBe(true);
    expect(stacks.every((s) => codes(s).includes('INCONSISTENT_ORIENTATION'))).toBe(true);
  });

  it('a change of image size alone is reported too; a different frame of reference alone is just a split', () => {
    const sized = assembleSeries([...axialAt([0, 1]), ...axialAt([0, 1], { rows: 8 })]);
    expect(sized.map(codes)).toEqual([['INCONSISTENT_ORIENTATION'], ['INCONSISTENT_ORIENTATION']]);
    const forSplit = assembleSeries([...axialAt([0, 1]), ...axialAt([0, 1], { frameOfReferenceUid: '4.5' })]);
    expect(forSplit.map(codes)).toEqual([[], []]);
  });

  it('repeated positions with distinct temporal positions become one stack per time point', () => {
    const list = [1, 2, 3].flatMap((t) => axialAt([0, 2, 4], { temporal: t }));
    const stacks = assembleSeries(list);
    expect(stacks).toHaveLength(3);
    expect(stacks.every((s) => s.geometry.status === 'ok' && s.dims[2] === 3)).toBe(true);
    expect(stacks.map((s) => s.frames[0].instance.frames[0].temporalPositionIndex)).toEqual([1, 2, 3]);
  });

  it('true duplicates: DUPLICATE_POSITION (unsafe), the lowest instance number kept', () => {
    const list = axialAt([0, 2, 4, 6]);
    const dup = inst({ ipp: [-10, -20, 2], instanceNumber: 0 });
    const [s] = assembleSeries([...list, dup]);
    expect(codes(s)).toEqual(['DUPLICATE_POSITION']);
    expect(s.geometry.status).toBe('unsafe');
    expect(s.geometry.findings[0].details?.count).toBe(1);
    expect(s.frames[1].instance).toBe(dup);
    expect(s.dims[2]).toBe(4);
  });

  it('all images at one position (cine of one slice): all kept in acquisition order, DUPLICATE_POSITION (unsafe)', () => {
    const list = [3, 1, 2, 4].map((n) => inst({ ipp: [0, 0, 7], instanceNumber: n }));
    const [s] = assembleSeries(list);
    expect(codes(s)).toEqual(['DUPLICATE_POSITION']);
    expect(s.geometry.status).toBe('unsafe');
    expect(s.frames.map((f) => f.instance.instanceNumber)).toEqual([1, 2, 3, 4]);
    expect(s.dims).toEqual([3, 4, 4]);
    expect(s.originLps).toEqual([0, 0, 7]);
  });

  it('the same SOP instance twice (copied file) is used once, without a finding', () => {
    const list = axialAt([0, 2, 4]);
    const copy = { ...list[1], path: '/elsewhere/copy.dcm' };
    const [s] = assembleSeries([...list, copy]);
    expect(s.geometry.status).toBe('ok');
    expect(s.files).toBe(3);
  });

  it('a gap of whole steps: MISSING_SLICE (unsafe), grid keeps the true positions with the gap filled', () => {
    const [s] = assembleSeries(axialAt([0, 2, 4, 8, 10]));
    expect(codes(s)).toEqual(['MISSING_SLICE']);
    expect(s.geometry.status).toBe('unsafe');
    expect(s.geometry.findings[0].details?.count).toBe(1);
    expect(s.dims[2]).toBe(6);
    expect(s.spacingMm[2]).toBeCloseTo(2, 12);
    expect(s.plan.planes[3]).toEqual({ s0: 2, s1: 3, w: 0.5 });
    expect(s.plan.planes[4]).toEqual({ s0: 3, s1: 3, w: 0 });
  });

  it('irregular steps: NON_UNIFORM_SPACING (warning) with min/max, resampled on the smallest step', () => {
    const [s] = assembleSeries(axialAt([0, 2, 4, 7, 10]));
    expect(codes(s)).toEqual(['NON_UNIFORM_SPACING']);
    expect(s.geometry.status).toBe('warning');
    expect(s.geometry.findings[0].details).toEqual({ minMm: 2, maxMm: 3 });
    expect(s.dims[2]).toBe(6);
    expect(s.spacingMm[2]).toBeCloseTo(2, 12);
  });

  it('position jitter below 0.1 mm (rounded IPP) is not a finding', () => {
    const [s] = assembleSeries(axialAt([0, 7.05, 13.96, 21.04, 27.98]));
    expect(s.geometry.status).toBe('ok');
    expect(s.spacingMm[2]).toBeCloseTo(27.98 / 4, 12);
  });

  it('gantry tilt: angle from the slice-to-slice direction, rows widened, k along the normal', () => {
    // Each slice moves 5 mm along z and 2 mm along y (the column direction): tilt = atan(2/5).
    const list = [0, 1, 2, 3].map((n) => inst({ ipp: [0, 2 * n, 5 * n], instanceNumber: n }));
    const [s] = assembleSeries(list);
    expect(codes(s)).toEqual(['GANTRY_TILT']);
    expect(s.geometry.findings[0].details?.angleDeg).toBeCloseTo((Math.atan(2 / 5) * 180) / Math.PI, 9);
    expect(s.geometry.status).toBe('warning');
    // 3 slices × 2 mm / 0.8 mm per row = 7.5 rows of drift → 8 extra rows.
    expect(s.dims).toEqual([3, 12, 4]);
    expect(s.directionLps[2]).toEqual([0, 0, 1]);
    expect(s.spacingMm[2]).toBeCloseTo(5, 12);
  });

  it('no position/orientation: MISSING_POSITION (unsafe), ordered by instance number', () => {
    const list = [3, 1, 2].map((n) => inst({ ipp: null, iop: null, instanceNumber: n }));
    const [s] = assembleSeries(list);
    expect(codes(s)).toEqual(['MISSING_POSITION']);
    expect(s.geometry.status).toBe('unsafe');
    expect(s.frames.map((f) => f.instance.instanceNumber)).toEqual([1, 2, 3]);
  });

  it('ImagerPixelSpacing only, or no spacing: UNCALIBRATED_SPACING (unsafe)', () => {
    expect(codes(assembleSeries(axialAt([0, 1], { spacingSource: 'ImagerPixelSpacing' }))[0])).toEqual(['UNCALIBRATED_SPACING']);
    const [none] = assembleSeries(axialAt([0, 1], { spacingSource: 'none' }));
    expect(codes(none)).toEqual(['UNCALIBRATED_SPACING']);
    expect(none.geometry.status).toBe('unsafe');
    expect(none.spacingMm.slice(0, 2)).toEqual([1, 1]);
  });

  it('a single slice: SINGLE_SLICE (warning), k spacing = slice thickness', () => {
    const [s] = assembleSeries(axialAt([3], { sliceThicknessMm: 2.5 }));
    expect(codes(s)).toEqual(['SINGLE_SLICE']);
    expect(s.geometry.status).toBe('warning');
    expect(s.spacingMm[2]).toBe(2.5);
  });

  it('ignores instances without pixel data', () => {
    const sr = { ...inst({}), hasPixelData: false, rows: 0, columns: 0 };
    expect(assembleSeries([sr])).toEqual([]);
  });

  it('stackToInfoJson has exactly the fields of the `medseg info --json` contract', () => {
    const [s] = assembleSeries(axialAt([0, 2, 4, 8, 10]));
    const json = stackToInfoJson(s);
    expect(Object.keys(json).sort()).toEqual(
      ['seriesInstanceUid', 'modality', 'description', 'files', 'dims', 'spacingMm', 'originLps', 'directionLps', 'transferSyntaxes', 'geometry'].sort(),
    );
    expect(json.files).toBe(5);
    expect(json.transferSyntaxes).toEqual(['1.2.840.10008.1.2.1']);
    expect(json.geometry.status).toBe('unsafe');
    expect(Object.keys(json.geometry.findings[0]).sort()).toEqual(['code', 'message']);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});

describe('buildVolume (fake decoder)', () => {
  /** Each frame's values: base + pixel index, in the array type asked for. */
  function decoder(make: (inst: DicomInstance) => DecodedFrame) {
    return async (i: DicomInstance): Promise<DecodedFrame> => make(i);
  }
  const z = (i: DicomInstance): number => i.frames[0].imagePositionPatient?.[2] ?? 0;

  it('copies int16-exact frames into an Int16Array in sorted order', async () => {
    const [s] = assembleSeries(axialAt([20, 0, 10]));
    const { volume, geometry } = await buildVolume(
      s,
      decoder((i) => ({ kind: 'grey', rows: 4, columns: 3, values: Float32Array.from({ length: 12 }, (_, p) => z(i) * 100 + p) })),
    );
    expect(geometry.status).toBe('ok');
    expect(volume.voxels).toBeInstanceOf(Int16Array);
    expect(Array.from(volume.voxels.slice(0, 2))).toEqual([0, 1]);
    expect(Array.from(volume.voxels.slice(12, 14))).toEqual([1000, 1001]);
    expect(volume.voxels[35]).toBe(2011);
  });

  it('keeps non-integer values as Float32 and out-of-int16-range integers as Int32', async () => {
    const [s] = assembleSeries(axialAt([0, 1]));
    const frac = await buildVolume(
      s,
      decoder(() => ({ kind: 'grey', rows: 4, columns: 3, values: Float32Array.from({ length: 12 }, (_, p) => p + 0.25) })),
    );
    expect(frac.volume.voxels).toBeInstanceOf(Float32Array);
    expect(frac.volume.voxels[13]).toBe(1.25);
    const big = await buildVolume(
      s,
      decoder((i) => ({ kind: 'grey', rows: 4, columns: 3, values: Int32Array.from({ length: 12 }, (_, p) => (z(i) + 1) * 40000 + p) })),
    );
    expect(big.volume.voxels).toBeInstanceOf(Int32Array);
    expect(big.volume.voxels[12]).toBe(80000);
  });

  it('fills a missing slice by linear interpolation between its neighbours', async () => {
    const [s] = assembleSeries(axialAt([0, 2, 6]));
    const { volume } = await buildVolume(
      s,
      decoder((i) => ({ kind: 'grey', rows: 4, columns: 3, values: Int16Array.from({ length: 12 }, () => z(i) * 10) })),
    );
    expect(volume.dims[2]).toBe(4);
    expect([0, 1, 2, 3].map((k) => volume.voxels[k * 12])).toEqual([0, 20, 40, 60]);
  });

  it('tilt: each slice shifted by its drift (whole rows here), padded with the series minimum', async () => {
    // 0.8 mm rows; each slice drifts 1.6 mm along y = exactly 2 rows.
    const list = [0, 1, 2].map((n) => inst({ ipp: [0, 1.6 * n, 5 * n], instanceNumber: n }));
    const [s] = assembleSeries(list);
    expect(s.dims).toEqual([3, 8, 3]);
    const { volume } = await buildVolume(
      s,
      decoder((i) => ({ kind: 'grey', rows: 4, columns: 3, values: Int16Array.from({ length: 12 }, (_, p) => 100 * (z(i) / 5 + 1) + Math.floor(p / 3)) })),
    );
    const col0 = (k: number): number[] => Array.from({ length: 8 }, (_, j) => volume.voxels[k * 24 + j * 3]);
    expect(col0(0)).toEqual([100, 101, 102, 103, 100, 100, 100, 100]);
    expect(col0(1)).toEqual([100, 100, 200, 201, 202, 203, 100, 100]);
    expect(col0(2)).toEqual([100, 100, 100, 100, 300, 301, 302, 303]);
  });

  it('refuses a frame that decodes to the wrong size', async () => {
    const [s] = assembleSeries(axialAt([0, 1]));
    await expect(
      buildVolume(
        s,
        decoder(() => ({ kind: 'grey', rows: 2, columns: 3, values: new Int16Array(6) })),
      ),
    ).rejects.toMatchObject({ code: 'DECODE_FAILED' });
  });
});

describe('assembleSeries on damaged headers', () => {
  it('non-finite positions, parallel direction cosines and zero pixel spacing do not crash and are unsafe', () => {
    const nanPos = axialAt([0, 1]);
    nanPos[1].frames[0].imagePositionPatient = [NaN, 0, 1];
    const parallel = axialAt([0, 1], {
      iop: [
        [1, 0, 0],
        [1, 0, 0],
      ],
      series: '7',
    });
    const zeroPs = axialAt([0, 1], { series: '8' });
    zeroPs.forEach((i) => (i.frames[0].pixelSpacingMm = [0, 0]));
    const stacks = assembleSeries([...nanPos, ...parallel, ...zeroPs]);
    const bySeries = (uid: string) => stacks.filter((s) => s.seriesInstanceUid === uid);
    expect(bySeries('1.2.9').some((s) => codes(s).includes('MISSING_POSITION'))).toBe(true);
    expect(codes(bySeries('7')[0])).toContain('MISSING_POSITION');
    expect(codes(bySeries('8')[0])).toEqual(['UNCALIBRATED_SPACING']);
    expect(bySeries('8')[0].spacingMm.slice(0, 2)).toEqual([1, 1]);
    expect([...bySeries('7'), ...bySeries('8')].every((s) => s.geometry.status === 'unsafe')).toBe(true);
    // The readable frame of the first series stays a stack of its own; the damaged one is a separate 2D stack.
    expect(bySeries('1.2.9')).toHaveLength(2);
  });
});
