// Reformat maths: each view walks the right voxel axis in the right direction for axial-acquired and flipped
// grids, and the edge letters follow the radiological convention.
import { describe, expect, it } from 'vitest';
import { displayToIjk, edgeLetters, extractSlice, ijkToDisplay, patientViewAxes, slicePositionMm } from '../../../shared/domain/mpr.js';
import { identityDirection, type VolumeGeometry, type Vec3 } from '../../../shared/domain/volume.js';

const axialCt: VolumeGeometry = {
  dims: [4, 3, 2],
  spacingMm: [0.5, 0.7, 2],
  originLps: [-10, -20, -800],
  directionLps: identityDirection(),
};
// Voxel value encodes its own index: v = i + 10 j + 100 k.
const encoded = (g: VolumeGeometry): Int16Array => {
  const a = new Int16Array(g.dims[0] * g.dims[1] * g.dims[2]);
  for (let k = 0; k < g.dims[2]; k++)
    for (let j = 0; j < g.dims[1]; j++) for (let i = 0; i < g.dims[0]; i++) a[i + g.dims[0] * (j + g.dims[1] * k)] = i + 10 * j + 100 * k;
  return a;
};

describe('patientViewAxes / extractSlice', () => {
  it('axial shows i across, j down, one k per slice, no flips for a standard axial CT', () => {
    const ax = patientViewAxes(axialCt, 'axial');
    expect([ax.width, ax.height, ax.sliceCount, ax.columnSpacingMm, ax.rowSpacingMm]).toEqual([4, 3, 2, 0.5, 0.7]);
    const out = new Int16Array(12);
    extractSlice(encoded(axialCt), axialCt.dims, ax, 1, out);
    expect(Array.from(out)).toEqual([100, 101, 102, 103, 110, 111, 112, 113, 120, 121, 122, 123]);
    expect(edgeLetters(axialCt, ax)).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
  });

  it('coronal puts superior (highest k when k runs +z) at the top, with slice spacing as row spacing', () => {
    const ax = patientViewAxes(axialCt, 'coronal');
    expect([ax.width, ax.height, ax.sliceCount, ax.rowSpacingMm]).toEqual([4, 2, 3, 2]);
    const out = new Int16Array(8);
    extractSlice(encoded(axialCt), axialCt.dims, ax, 2, out);
    expect(Array.from(out)).toEqual([120, 121, 122, 123, 20, 21, 22, 23]);
    expect(edgeLetters(axialCt, ax)).toEqual({ left: 'R', right: 'L', top: 'S', bottom: 'I' });
  });

  it('sagittal shows anterior on the left and superior on top', () => {
    const ax = patientViewAxes(axialCt, 'sagittal');
    const out = new Int16Array(6);
    extractSlice(encoded(axialCt), axialCt.dims, ax, 3, out);
    expect(Array.from(out)).toEqual([103, 113, 123, 3, 13, 23]);
    expect(edgeLetters(axialCt, ax)).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' });
  });

  it('flips screen axes when the grid runs against LPS (NIfTI-style i toward R, k toward I)', () => {
    const flipped: VolumeGeometry = {
      ...axialCt,
      directionLps: [
        [-1, 0, 0],
        [0, 1, 0],
        [0, 0, -1],
      ],
    };
    const ax = patientViewAxes(flipped, 'axial');
    expect(ax.colFlip).toBe(true);
    const out = new Int16Array(12);
    extractSlice(encoded(flipped), flipped.dims, ax, 0, out);
    expect(Array.from(out.slice(0, 4))).toEqual([3, 2, 1, 0]);
    expect(edgeLetters(flipped, ax).right).toBe('L');
    const cor = patientViewAxes(flipped, 'coronal');
    expect(cor.rowFlip).toBe(false); // k runs toward I already, so row 0 = k 0 = most superior
  });

  it('displayToIjk and ijkToDisplay are inverse for every plane', () => {
    const flipped: VolumeGeometry = {
      ...axialCt,
      directionLps: [
        [-1, 0, 0],
        [0, -1, 0],
        [0, 0, -1],
      ],
    };
    for (const g of [axialCt, flipped])
      for (const p of ['axial', 'coronal', 'sagittal'] as const) {
        const ax = patientViewAxes(g, p);
        const ijk: Vec3 = [3, 1, 0];
        const d = ijkToDisplay(ax, ijk);
        expect(displayToIjk(ax, d.col, d.row, d.slice)).toEqual(ijk);
      }
  });

  it('reformats a sagittal acquisition: axial slices walk its column axis, letters still follow the patient', () => {
    // DICOM sagittal: rows run toward P, columns toward I, slices toward L.
    const sag: VolumeGeometry = {
      dims: [4, 3, 2],
      spacingMm: [0.5, 0.7, 2],
      originLps: [0, 0, 0],
      directionLps: [
        [0, 1, 0],
        [0, 0, -1],
        [1, 0, 0],
      ],
    };
    const axial = patientViewAxes(sag, 'axial');
    expect([axial.sliceAxis, axial.colAxis, axial.rowAxis, axial.colFlip, axial.rowFlip]).toEqual([1, 2, 0, false, false]);
    expect([axial.width, axial.height, axial.sliceCount, axial.columnSpacingMm, axial.rowSpacingMm]).toEqual([2, 4, 3, 2, 0.5]);
    expect(edgeLetters(sag, axial)).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
    const sagView = patientViewAxes(sag, 'sagittal');
    expect([sagView.sliceAxis, sagView.colAxis, sagView.rowAxis, sagView.colFlip, sagView.rowFlip]).toEqual([2, 0, 1, false, false]);
    expect(edgeLetters(sag, sagView)).toEqual({ left: 'A', right: 'P', top: 'S', bottom: 'I' });
    const out = new Int16Array(12);
    extractSlice(encoded(sag), sag.dims, sagView, 1, out);
    expect(Array.from(out)).toEqual([100, 101, 102, 103, 110, 111, 112, 113, 120, 121, 122, 123]);
  });

  it('reports the axial slice position as z in mm', () => {
    expect(slicePositionMm(axialCt, patientViewAxes(axialCt, 'axial'), 1)).toEqual({ coordinate: 'z', mm: -798 });
  });
});
