// Standard display colours for known anatomy label names, so that a liver is liver-coloured in every map that does
// not bring its own colours. Values: 3D Slicer's GenericAnatomyColors lookup table (Halle, Talos, Kikinis, Pieper,
// Aucoin, Jakab; the colours Slicer and TotalSegmentator's Slicer terminology show), written here as data. Names
// are matched after normalisation (lower case, '_' → ' ', a trailing left/right moved to the front, common
// TotalSegmentator spellings mapped to the anatomical term).

type Rgb = [number, number, number];

/** Anatomical term → RGB 0..255 (GenericAnatomyColors). */
const ANATOMY_RGB: Readonly<Record<string, Rgb>> = {
  liver: [221, 130, 101],
  spleen: [157, 108, 162],
  kidney: [185, 102, 83],
  pancreas: [249, 180, 111],
  gallbladder: [139, 150, 98],
  stomach: [216, 132, 105],
  duodenum: [255, 253, 229],
  'small bowel': [205, 167, 142],
  colon: [204, 168, 143],
  esophagus: [211, 171, 143],
  'urinary bladder': [222, 154, 132],
  'adrenal gland': [249, 186, 150],
  prostate: [230, 158, 140],
  uterus: [255, 181, 158],
  ureter: [247, 182, 164],
  trachea: [182, 228, 255],
  bronchi: [175, 216, 244],
  lung: [197, 165, 145],
  'superior lobe of lung': [172, 138, 115],
  'middle lobe of lung': [202, 164, 140],
  'inferior lobe of lung': [224, 186, 162],
  heart: [206, 110, 84],
  'right atrium': [210, 115, 89],
  'left atrium': [203, 108, 81],
  'right ventricle': [181, 85, 57],
  'left ventricle': [152, 55, 13],
  aorta: [224, 97, 76],
  thymus: [47, 150, 103],
  ribs: [253, 232, 158],
  sternum: [244, 217, 154],
  clavicle: [205, 179, 108],
  'cervical vertebral column': [255, 255, 207],
  'thoracic vertebral column': [226, 202, 134],
  'lumbar vertebral column': [212, 188, 102],
  bone: [241, 214, 145],
  'systemic arterial system': [217, 102, 81],
  'systemic venous system': [0, 147, 202],
  'muscles of lower limb': [206, 111, 93],
  'muscles of abdominal wall': [171, 85, 68],
  'skeleton of lower limb': [255, 238, 170],
  'skeleton of upper limb': [198, 175, 125],
  'peripheral nerve': [224, 194, 0],
  cyst: [205, 205, 100],
};

/** TotalSegmentator (and common) spellings → the anatomical term above. Checked after side and underscores go. */
const ALIASES: ReadonlyArray<[RegExp, string]> = [
  [/^(gall bladder|gallbladder)$/, 'gallbladder'],
  [/^(bladder|urinary bladder)$/, 'urinary bladder'],
  [/^oesophagus$/, 'esophagus'],
  [/^(small intestine|small bowel)$/, 'small bowel'],
  [/^kidneys?$/, 'kidney'],
  [/^(adrenal|adrenal gland)s?$/, 'adrenal gland'],
  [/^lungs?$/, 'lung'],
  [/^lung upper lobe$/, 'superior lobe of lung'],
  [/^lung middle lobe$/, 'middle lobe of lung'],
  [/^lung lower lobe$/, 'inferior lobe of lung'],
  [/^(rib|ribs)( \d+)?$/, 'ribs'],
  [/^clavicul[ae]$/, 'clavicle'],
  [/^vertebrae? c\d+$/, 'cervical vertebral column'],
  [/^vertebrae? t\d+$/, 'thoracic vertebral column'],
  [/^vertebrae? (l\d+|s1)$/, 'lumbar vertebral column'],
  [/^(sacrum|hip|scapula|humerus|skull|costal cartilages)$/, 'bone'],
  [/^femur$/, 'skeleton of lower limb'],
  [/(artery|arteries|brachiocephalic trunk)$/, 'systemic arterial system'],
  [/(vein|veins|vena|vena cava|portal vein and splenic vein)$/, 'systemic venous system'],
  [/^(gluteus (maximus|medius|minimus)|iliopsoas)$/, 'muscles of lower limb'],
  [/^autochthon$/, 'muscles of abdominal wall'],
  [/^kidney cyst$/, 'cyst'],
  [/^(right|left) (atrium|ventricle)$/, '$1 $2'],
];

/** Lower case, '_' and '-' → ' ', a left/right token anywhere removed (kept only for the heart's chambers). */
export function normaliseLabelName(name: string): string {
  const words = name.toLowerCase().replace(/[_-]+/g, ' ').trim().split(/\s+/);
  const chamber = words.some((w) => w === 'atrium' || w === 'ventricle');
  return (chamber ? words : words.filter((w) => w !== 'left' && w !== 'right')).join(' ');
}

/** The standard colour of a known anatomy name, or null when the name is not one (then the caller's default). */
export function anatomyColor(name: string): Rgb | null {
  const n = normaliseLabelName(name);
  const direct = ANATOMY_RGB[n];
  if (direct) return [...direct];
  for (const [re, term] of ALIASES) {
    if (!re.test(n)) continue;
    const rgb = ANATOMY_RGB[term.includes('$') ? n.replace(re, term) : term];
    if (rgb) return [...rgb];
  }
  return null;
}
