// Coded terms for DICOM SEG segments and SR findings: SNOMED CT (scheme SCT) concepts for the label names the bundled
// models and TotalSegmentator use, laterality as a type modifier, and a generic code for any other label. Pure.
import type { LabelInfo } from '../labelTable.js';

export interface CodedConcept {
  codeValue: string;
  codingSchemeDesignator: string;
  codeMeaning: string;
}

export interface SegmentCoding {
  category: CodedConcept;
  type: CodedConcept;
  /** Left / right, when the label names a side. */
  typeModifier?: CodedConcept;
  /** Where a lesion lies, when its name says (e.g. liver_tumor). */
  anatomicRegion?: CodedConcept;
  /** False when no table entry matched and the generic code was used. */
  known: boolean;
}

const sct = (codeValue: string, codeMeaning: string): CodedConcept => ({ codeValue, codingSchemeDesignator: 'SCT', codeMeaning });

export const CATEGORY_ANATOMY = sct('123037004', 'Anatomical Structure');
export const CATEGORY_ABNORMAL = sct('49755003', 'Morphologically Altered Structure');
export const CATEGORY_TISSUE = sct('85756007', 'Tissue');
export const LEFT = sct('7771000', 'Left');
export const RIGHT = sct('24028007', 'Right');
/** For a label nothing is known about: "Tissue" / "Tissue" is what Slicer and dcmqi fall back to as well. */
const GENERIC_TYPE = sct('85756007', 'Tissue');

// Sources of the concept ids: SNOMED CT as listed in DICOM PS3.16 CID 7150/7151/7153 (anatomy) and CID 7159
// (lesions); TotalSegmentator's published SNOMED mapping for its class names was used to check the spelling of each.
// name (without _left/_right) → [code, meaning]
const ANATOMY: Record<string, [string, string]> = {
  spleen: ['78961009', 'Spleen'],
  kidney: ['64033007', 'Kidney'],
  gallbladder: ['28231008', 'Gallbladder'],
  liver: ['10200004', 'Liver'],
  stomach: ['69695003', 'Stomach'],
  pancreas: ['15776009', 'Pancreas'],
  adrenal_gland: ['23451007', 'Adrenal gland'],
  lung: ['39607008', 'Lung'],
  lung_upper_lobe: ['45653009', 'Upper lobe of lung'],
  lung_lower_lobe: ['90572001', 'Lower lobe of lung'],
  lung_middle_lobe: ['72481006', 'Middle lobe of right lung'],
  esophagus: ['32849002', 'Esophagus'],
  trachea: ['44567001', 'Trachea'],
  thyroid_gland: ['69748006', 'Thyroid gland'],
  small_bowel: ['30315005', 'Small Intestine'],
  duodenum: ['38848004', 'Duodenum'],
  colon: ['71854001', 'Colon'],
  urinary_bladder: ['89837001', 'Urinary bladder'],
  prostate: ['41216001', 'Prostate'],
  sacrum: ['54735007', 'Sacrum'],
  vertebrae_S1: ['65985001', 'S1 vertebra'],
  vertebrae_L5: ['49668003', 'L5 vertebra'],
  vertebrae_L4: ['11994002', 'L4 vertebra'],
  vertebrae_L3: ['36470004', 'L3 vertebra'],
  vertebrae_L2: ['14293000', 'L2 vertebra'],
  vertebrae_L1: ['66794005', 'L1 vertebra'],
  vertebrae_T12: ['23215003', 'T12 vertebra'],
  vertebrae_T11: ['12989004', 'T11 vertebra'],
  vertebrae_T10: ['7610001', 'T10 vertebra'],
  vertebrae_T9: ['82687006', 'T9 vertebra'],
  vertebrae_T8: ['11068009', 'T8 vertebra'],
  vertebrae_T7: ['62487009', 'T7 vertebra'],
  vertebrae_T6: ['45296009', 'T6 vertebra'],
  vertebrae_T5: ['56401006', 'T5 vertebra'],
  vertebrae_T4: ['73071006', 'T4 vertebra'],
  vertebrae_T3: ['1626008', 'T3 vertebra'],
  vertebrae_T2: ['53733008', 'T2 vertebra'],
  vertebrae_T1: ['64864005', 'T1 vertebra'],
  vertebrae_C7: ['87391001', 'C7 vertebra'],
  vertebrae_C6: ['36054005', 'C6 vertebra'],
  vertebrae_C5: ['36978003', 'C5 vertebra'],
  vertebrae_C4: ['5329002', 'C4 vertebra'],
  vertebrae_C3: ['113205007', 'C3 vertebra'],
  vertebrae_C2: ['39976000', 'C2 vertebra'],
  vertebrae_C1: ['14806007', 'C1 vertebra'],
  heart: ['80891009', 'Heart'],
  aorta: ['15825003', 'Aorta'],
  pulmonary_vein: ['122972007', 'Pulmonary vein'],
  pulmonary_artery: ['81040000', 'Pulmonary artery'],
  brachiocephalic_trunk: ['12691009', 'Brachiocephalic artery'],
  subclavian_artery: ['29700009', 'Subclavian artery'],
  common_carotid_artery: ['32062004', 'Common carotid artery'],
  brachiocephalic_vein: ['8887007', 'Brachiocephalic vein'],
  atrial_appendage: ['68786006', 'Auricular appendage'],
  superior_vena_cava: ['48345005', 'Superior vena cava'],
  inferior_vena_cava: ['64131007', 'Inferior vena cava'],
  portal_vein_and_splenic_vein: ['110765007', 'Portal vein and splenic vein'],
  iliac_artery: ['73634005', 'Common iliac artery'],
  iliac_vena: ['46027005', 'Common iliac vein'],
  humerus: ['85050009', 'Humerus'],
  scapula: ['79601000', 'Scapula'],
  clavicula: ['51299004', 'Clavicle'],
  femur: ['71341001', 'Femur'],
  hip: ['29836001', 'Hip'],
  spinal_cord: ['2748008', 'Spinal cord'],
  gluteus_maximus: ['181674001', 'Gluteus maximus muscle'],
  gluteus_medius: ['78333006', 'Gluteus medius muscle'],
  gluteus_minimus: ['75297007', 'Gluteus minimus muscle'],
  autochthon: ['244849004', 'Deep muscle of back'],
  iliopsoas: ['68455001', 'Iliopsoas muscle'],
  brain: ['12738006', 'Brain'],
  skull: ['89546000', 'Skull'],
  rib: ['113197003', 'Rib'],
  ribs: ['113197003', 'Rib'],
  rib_1: ['48535007', 'First rib'],
  rib_2: ['78247007', 'Second rib'],
  rib_3: ['25888004', 'Third rib'],
  rib_4: ['25523003', 'Fourth rib'],
  rib_5: ['15339008', 'Fifth rib'],
  rib_6: ['59558009', 'Sixth rib'],
  rib_7: ['24915002', 'Seventh rib'],
  rib_8: ['5953002', 'Eighth rib'],
  rib_9: ['22565002', 'Ninth rib'],
  rib_10: ['77644006', 'Tenth rib'],
  rib_11: ['58830002', 'Eleventh rib'],
  rib_12: ['43993008', 'Twelfth rib'],
  sternum: ['56873002', 'Sternum'],
  costal_cartilages: ['50016007', 'Costal cartilage'],
  heart_myocardium: ['74281007', 'Myocardium'],
  skeletal_muscle: ['127954009', 'Skeletal muscle'],
};

const TISSUE: Record<string, [string, string]> = {
  subcutaneous_fat: ['67769002', 'Subcutaneous fatty tissue'],
  torso_fat: ['55603005', 'Fat'],
};

// Lesion morphologies (category Morphologically Altered Structure), matched by a word in the name.
const LESIONS: [RegExp, [string, string]][] = [
  [/cyst/i, ['367643001', 'Cyst']],
  [/nodule/i, ['27925004', 'Nodule']],
  [/tumou?r|neoplasm/i, ['108369006', 'Neoplasm']],
  [/metasta/i, ['14799000', 'Neoplasm, metastatic']],
  [/lesion/i, ['52988006', 'Lesion']],
];

const SIDES: [RegExp, CodedConcept][] = [
  [/(^|_)(left)(_|$)/i, LEFT],
  [/(^|_)(right)(_|$)/i, RIGHT],
];

function normalise(name: string): string {
  return name.trim().replace(/[\s-]+/g, '_');
}

/** The side a name states (left/right as a word) and the name without it: "rib_left_3" → rib_3, Left. */
function splitSide(name: string): { base: string; side?: CodedConcept } {
  for (const [re, side] of SIDES) {
    if (re.test(name)) return { base: name.replace(re, (_m, a: string, _s: string, b: string) => (a && b ? '_' : '')), side };
  }
  return { base: name };
}

function anatomyOf(base: string): CodedConcept | undefined {
  const hit = ANATOMY[base] ?? ANATOMY[base.toLowerCase()] ?? Object.entries(ANATOMY).find(([k]) => k.toLowerCase() === base.toLowerCase())?.[1];
  return hit ? sct(hit[0], hit[1]) : undefined;
}

/** Segment coding of a label: by name (SNOMED CT), lesions by morphology with the organ as anatomic region. */
export function segmentCodingOf(label: Pick<LabelInfo, 'name' | 'kind'>): SegmentCoding {
  const name = normalise(label.name);
  const { base, side } = splitSide(name);
  const lesion = LESIONS.find(([re]) => re.test(name));
  if (lesion || label.kind === 'lesion') {
    const [code, meaning] = lesion?.[1] ?? ['52988006', 'Lesion'];
    // "liver_tumor", "kidney_cyst_left": the organ word before the morphology is the region
    const organWord = base.replace(/_?(tumou?r|neoplasm|nodules?|cyst|metastas[ie]s|lesion)s?$/i, '');
    const region = organWord ? anatomyOf(organWord) : undefined;
    return {
      category: CATEGORY_ABNORMAL,
      type: sct(code, meaning),
      ...(region ? { anatomicRegion: region } : {}),
      ...(side ? { typeModifier: side } : {}),
      known: lesion !== undefined,
    };
  }
  const tissue = TISSUE[base.toLowerCase()];
  if (tissue) return { category: CATEGORY_TISSUE, type: sct(tissue[0], tissue[1]), known: true };
  const anatomy = anatomyOf(base);
  if (anatomy) return { category: CATEGORY_ANATOMY, type: anatomy, ...(side ? { typeModifier: side } : {}), known: true };
  return { category: CATEGORY_TISSUE, type: GENERIC_TYPE, known: false };
}
