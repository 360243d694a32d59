// Standard anatomy colours (shared/domain/reading/anatomyColors.ts): known names get the published
// GenericAnatomyColors values (3D Slicer) whatever their spelling (TotalSegmentator's organ_side); an explicit colour
// from a label table still wins; unknown names keep the per-value default; the real TotalSegmentator table's organs
// are coloured from the table.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { anatomyColor, normaliseLabelName } from '../../../shared/domain/reading/anatomyColors.js';
import { defaultLabelColor, labelTableFor, parseLabelTable } from '../../../shared/domain/labelTable.js';
import { DATA_DIR } from '../../helpers/paths.js';

describe('anatomy colours', () => {
  it('gives liver, spleen, kidneys, pancreas, aorta … their GenericAnatomyColors values', () => {
    expect(anatomyColor('liver')).toEqual([221, 130, 101]);
    expect(anatomyColor('Spleen')).toEqual([157, 108, 162]);
    expect(anatomyColor('kidney_right')).toEqual([185, 102, 83]);
    expect(anatomyColor('left kidney')).toEqual([185, 102, 83]);
    expect(anatomyColor('pancreas')).toEqual([249, 180, 111]);
    expect(anatomyColor('gallbladder')).toEqual([139, 150, 98]);
    expect(anatomyColor('aorta')).toEqual([224, 97, 76]);
    expect(anatomyColor('stomach')).toEqual([216, 132, 105]);
    expect(anatomyColor('urinary_bladder')).toEqual([222, 154, 132]);
    expect(anatomyColor('adrenal_gland_left')).toEqual([249, 186, 150]);
    expect(anatomyColor('inferior_vena_cava')).toEqual([0, 147, 202]);
    expect(anatomyColor('iliac_vena_left')).toEqual([0, 147, 202]);
    expect(anatomyColor('iliac_artery_right')).toEqual([217, 102, 81]);
    expect(anatomyColor('vertebrae_L3')).toEqual([212, 188, 102]);
    expect(anatomyColor('vertebrae_T8')).toEqual([226, 202, 134]);
    expect(anatomyColor('rib_left_7')).toEqual([253, 232, 158]);
    expect(anatomyColor('lung_upper_lobe_left')).toEqual([172, 138, 115]);
    expect(anatomyColor('right atrium')).toEqual([210, 115, 89]);
    expect(normaliseLabelName('Kidney_Right')).toBe('kidney');
  });

  it('names that are not anatomy (lesions, numbered labels) get none', () => {
    expect(anatomyColor('liver_tumor')).toBeNull();
    expect(anatomyColor('label 7')).toBeNull();
    expect(anatomyColor('tumor')).toBeNull();
  });

  it('label tables: an explicit colour wins, a known name gets its anatomy colour, an unknown one the default', () => {
    const labels = new Uint8Array([0, 1, 2, 3, 4]);
    const rows = new Map([
      [1, { name: 'liver' }],
      [2, { name: 'spleen', colorRgb: [1, 2, 3] as [number, number, number] }],
      [3, { name: 'liver_tumor' }],
    ]);
    const table = labelTableFor(labels, { rows });
    expect(table.map((l) => l.colorRgb)).toEqual([[221, 130, 101], [1, 2, 3], defaultLabelColor(3), defaultLabelColor(4)]);
  });

  it('the real TotalSegmentator table: every organ of the sample map that the table knows is coloured from it', () => {
    const rows = parseLabelTable(readFileSync(path.join(DATA_DIR, 'totalsegmentator_example', 'labels_total.csv'), 'utf8'));
    const values = [...rows.keys()];
    const table = labelTableFor(Uint8Array.from(values), { rows });
    const colourOf = (name: string) => table.find((l) => l.name === name)!.colorRgb;
    expect(colourOf('liver')).toEqual([221, 130, 101]);
    expect(colourOf('spleen')).toEqual([157, 108, 162]);
    expect(colourOf('kidney_left')).toEqual([185, 102, 83]);
    expect(colourOf('kidney_right')).toEqual([185, 102, 83]);
    expect(colourOf('pancreas')).toEqual([249, 180, 111]);
    // Most of its 117 names are known anatomy; count those left on the per-value default.
    const unknown = table.filter((l) => anatomyColor(l.name) === null).map((l) => l.name);
    expect(unknown.length).toBeLessThan(15);
  });
});
