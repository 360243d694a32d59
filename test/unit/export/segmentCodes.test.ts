// Coded terms for segments: SNOMED CT concepts by label name, laterality as a modifier, lesions as morphology with
// their organ as region, and a generic code (flagged unknown) otherwise.
import { describe, expect, it } from 'vitest';
import { segmentCodingOf } from '../../../shared/domain/export/segmentCodes.js';

const code = (name: string, kind: 'organ' | 'lesion' | 'other' = 'organ') => segmentCodingOf({ name, kind });

describe('segment coding', () => {
  it('anatomy of the bundled models and TotalSegmentator, sides as modifiers', () => {
    expect(code('liver').type.codeValue).toBe('10200004');
    expect(code('liver').category.codeValue).toBe('123037004');
    expect(code('kidney_right')).toMatchObject({ type: { codeValue: '64033007' }, typeModifier: { codeValue: '24028007', codeMeaning: 'Right' }, known: true });
    expect(code('kidney_left').typeModifier?.codeMeaning).toBe('Left');
    // side in the middle of the name: the numbered rib keeps its own concept
    expect(code('rib_left_3')).toMatchObject({ type: { codeValue: '25888004', codeMeaning: 'Third rib' }, typeModifier: { codeMeaning: 'Left' } });
    expect(code('vertebrae_L1').type.codeMeaning).toBe('L1 vertebra');
    expect(code('lung_middle_lobe_right').type.codeValue).toBe('72481006');
    expect(code('Spleen').type.codeValue).toBe('78961009');
    expect(code('subcutaneous_fat')).toMatchObject({ category: { codeValue: '85756007' }, type: { codeValue: '67769002' } });
  });

  it('lesions: morphology under Morphologically Altered Structure, organ as anatomic region', () => {
    expect(code('liver_tumor', 'lesion')).toMatchObject({
      category: { codeValue: '49755003' },
      type: { codeValue: '108369006', codeMeaning: 'Neoplasm' },
      anatomicRegion: { codeValue: '10200004' },
      known: true,
    });
    expect(code('lung_tumor', 'lesion').anatomicRegion?.codeValue).toBe('39607008');
    expect(code('kidney_cyst_left', 'lesion')).toMatchObject({
      type: { codeValue: '367643001' },
      anatomicRegion: { codeValue: '64033007' },
      typeModifier: { codeMeaning: 'Left' },
    });
    expect(code('lung_nodules', 'lesion').type.codeValue).toBe('27925004');
    // a label the user called a lesion without a morphology word: the generic Lesion concept, flagged
    expect(code('target 1', 'lesion')).toMatchObject({ type: { codeValue: '52988006' }, known: false });
  });

  it('unknown names get a generic code and say so', () => {
    expect(code('label 7', 'other')).toMatchObject({ known: false, category: { codeValue: '85756007' } });
    expect(code('my structure')).toMatchObject({ known: false });
  });
});
