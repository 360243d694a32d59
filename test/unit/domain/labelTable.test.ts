// The label-table rules: "value,name[,r,g,b]" files (quotes, BOM, header, bad colours), default names and colours,
// and the one kind rule (listed or lesion-like name -> lesion, other named -> organ, unnamed -> other).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CREATED_LABEL_KIND,
  LABEL_KINDS,
  defaultLabelColor,
  labelKindOf,
  labelTableFor,
  labelValuesPresent,
  parseLabelTable,
} from '../../../shared/domain/labelTable.js';
import { DATA_DIR } from '../../helpers/paths.js';

describe('label table files', () => {
  it("reads TotalSegmentator's labels_total.csv: header skipped, every organ named, no colours", () => {
    const rows = parseLabelTable(readFileSync(path.join(DATA_DIR, 'totalsegmentator_example', 'labels_total.csv'), 'utf8'));
    expect(rows.get(1)).toEqual({ name: 'spleen' });
    expect(rows.get(5)).toEqual({ name: 'liver' });
    expect(rows.has(0)).toBe(false);
    expect(rows.size).toBeGreaterThan(100);
  });

  it('takes quoted names with commas, a BOM, CRLF and r,g,b; drops a colour that is not three bytes', () => {
    const rows = parseLabelTable(
      '\uFEFFvalue,name,r,g,b\r\n5,"liver, segment ""4""",200,10,20\r\n7 , pancreas \r\n9,x,1,2,256\r\n10,y,1,2\r\n0,background\r\n70000,too big\r\n',
    );
    expect([...rows.keys()]).toEqual([5, 7, 9, 10]);
    expect(rows.get(5)).toEqual({ name: 'liver, segment "4"', colorRgb: [200, 10, 20] });
    expect(rows.get(7)).toEqual({ name: 'pancreas' });
    expect(rows.get(9)).toEqual({ name: 'x' });
    expect(rows.get(10)).toEqual({ name: 'y' });
    expect(() => parseLabelTable('value,name\n\n')).toThrow(/no "value,name" lines/);
  });
});

describe('label kinds and defaults', () => {
  it('one rule: listed or lesion-like -> lesion, named -> organ, unnamed -> other; made-by-hand labels are not lesions', () => {
    expect(LABEL_KINDS).toEqual(['organ', 'lesion', 'other']);
    expect(labelKindOf(5, { name: 'liver' })).toBe('organ');
    expect(labelKindOf(5, { name: 'liver' }, new Set([5]))).toBe('lesion');
    for (const name of ['liver tumour', 'Kidney_Tumor', 'lung_nodules', 'liver metastasis', 'Lesion 2']) expect(labelKindOf(3, { name })).toBe('lesion');
    expect(labelKindOf(3, undefined)).toBe('other');
    expect(labelKindOf(3, undefined, new Set([3]))).toBe('lesion');
    expect(CREATED_LABEL_KIND).not.toBe('lesion');
  });

  it('tables a label map: values present ascending, table names and colours else "label N" and the default colour', () => {
    const labels = Uint16Array.of(0, 300, 2, 2, 0, 7, 300);
    expect(labelValuesPresent(labels)).toEqual([2, 7, 300]);
    const table = labelTableFor(labels, {
      rows: new Map([
        [2, { name: 'kidney_right', colorRgb: [1, 2, 3] as [number, number, number] }],
        [7, { name: 'tumor' }],
      ]),
    });
    expect(table).toEqual([
      { value: 2, name: 'kidney_right', colorRgb: [1, 2, 3], kind: 'organ' },
      { value: 7, name: 'tumor', colorRgb: defaultLabelColor(7), kind: 'lesion' },
      { value: 300, name: 'label 300', colorRgb: defaultLabelColor(300), kind: 'other' },
    ]);
    // Default colours: stable bytes, and neighbouring values distinguishable.
    expect(defaultLabelColor(1)).toEqual(defaultLabelColor(1));
    for (const c of defaultLabelColor(1)) expect(Number.isInteger(c) && c >= 0 && c <= 255).toBe(true);
    expect(defaultLabelColor(1)).not.toEqual(defaultLabelColor(2));
  });
});
