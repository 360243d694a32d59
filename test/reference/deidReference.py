# Independent check of medseg deid with pydicom as the reader: for every attribute of every source file (sequence
# items included) the action of PS3.15 Table E.1-1 (given as JSON by the test, from the repo's table) is checked on
# the de-identified file; private attributes must be gone everywhere; pixel data must be byte-identical; UIDs must
# map one-to-one across all files; shifted dates must move by one offset per patient.
# stdin: {"table": [[tag, name, basic, modifiedDates], ...], "shiftDates": bool, "pairs": [[source, output], ...]}
import datetime, json, re, sys
import pydicom
from pydicom.tag import Tag

req = json.load(sys.stdin)
shift = req['shiftDates']
exact, masked = {}, []
for tag, name, basic, mod in req['table']:
    code = mod if (shift and mod) else basic
    if 'X' in tag.upper():
        mask = int(''.join('0' if c in 'xX' else 'F' for c in tag), 16)
        value = int(''.join('0' if c in 'xX' else c for c in tag), 16)
        masked.append((mask, value, name, code))
    else:
        exact[int(tag, 16)] = (name, code)


def lookup(tag):
    if tag in exact:
        return exact[tag]
    for mask, value, name, code in masked:
        if tag & mask == value:
            return (name, code)
    return None


violations = []
seen = {}  # table code -> count of attributes checked
uid_map, uid_back = {}, {}
offsets = {}  # pseudonymised patient id -> set of day offsets
pixel = []


def text(el):
    v = el.value
    if v is None:
        return ''
    if isinstance(v, (list, pydicom.multival.MultiValue)):
        return '\\'.join(str(x) for x in v)
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def days_between(a, b):
    a = re.sub(r'^(\d{4})\.(\d{2})\.(\d{2})', r'\1\2\3', a)  # ACR-NEMA dates
    a8, b8 = a[:8], b[:8]
    if not (re.fullmatch(r'\d{8}', a8) and re.fullmatch(r'\d{8}', b8)):
        return None
    da = datetime.date(int(a8[:4]), int(a8[4:6]), int(a8[6:8]))
    db = datetime.date(int(b8[:4]), int(b8[4:6]), int(b8[6:8]))
    return (db - da).days


# Attributes the de-identifier sets itself (PS3.15 E.1.1): Patient Identity Removed, De-identification Method (+ Code
# Sequence), Longitudinal Temporal Information Modified; and the pixel data, compared as bytes below.
MARKS = {0x00120062, 0x00120063, 0x00120064, 0x00280303, 0x7FE00010}


def fail(where, tag, msg):
    violations.append(f'{where} {Tag(tag)}: {msg}')


def check(src, out, where, patient):
    for el in src:
        tag = int(el.tag)
        # group 0000 is the command set (never in a stored dataset; pydicom makes one of trailing zero padding)
        if tag >> 16 in (0x0000, 0x0002) or (where == 'top' and tag in MARKS):
            continue
        o = out[el.tag] if el.tag in out else None
        if el.tag.is_private:
            if o is not None:
                fail(where, tag, 'private attribute survived')
            seen['private'] = seen.get('private', 0) + 1
            continue
        if (tag >> 24) in (0x50, 0x60):
            if o is not None:
                fail(where, tag, 'curve/overlay attribute survived')
            seen['overlay'] = seen.get('overlay', 0) + 1
            continue
        row = lookup(tag)
        orig = text(el)
        new = text(o) if o is not None else None
        if row is None:
            if el.VR in ('DA', 'DT'):
                code = 'C' if shift else 'Z'
            else:
                code = 'K'
            key = 'unlisted-' + code
        else:
            code = row[1]
            key = code
        seen[key] = seen.get(key, 0) + 1
        allowed = set(code.replace('*', '').split('/'))
        ok = False
        if o is None and 'X' in allowed:
            ok = True
        elif o is not None and 'Z' in allowed and (new == '' or (el.VR == 'SQ' and len(o.value) == 0)):
            ok = True
        elif o is not None and 'Z' in allowed and where == 'top' and tag in (0x00100010, 0x00100020) and new.startswith('ANON-'):
            ok = True  # the pseudonym: a dummy value Z allows
        elif o is not None and 'D' in allowed and el.VR != 'SQ' and ((orig == '' and new == '') or (new != orig and new != '')):
            ok = True
        elif o is not None and 'D' in allowed and el.VR == 'SQ':
            ok = True  # items checked below
        elif o is not None and 'U' in allowed and el.VR == 'UI':
            olds, news = orig.split('\\'), new.split('\\')
            ok = len(olds) == len(news)
            for a, b in zip(olds, news):
                if a == '':
                    ok = ok and (b == '' or (where == 'top' and b.startswith('2.25.')))
                    continue
                ok = ok and b.startswith('2.25.') and b != a
                if uid_map.setdefault(a, b) != b or uid_back.setdefault(b, a) != a:
                    fail(where, tag, f'UID {a} mapped inconsistently')
        elif o is not None and 'U' in allowed and el.VR == 'SQ':
            ok = True
        elif o is not None and 'K' in allowed and el.VR == 'SQ':
            ok = True  # items checked below
        elif o is not None and 'K' in allowed:
            ok = new == orig
        elif o is not None and 'C' in allowed:
            if el.VR in ('DA', 'DT'):
                if orig == '':
                    ok = new == ''
                else:
                    d = days_between(orig, new)
                    norm = re.sub(r'^(\d{4})\.(\d{2})\.(\d{2})', r'\1\2\3', orig)
                    ok = d is not None and d != 0 and new[8:] == norm[8:]
                    if d is not None:
                        offsets.setdefault(patient, set()).add(d)
            elif el.VR == 'TM':
                ok = new == orig
            else:
                ok = True  # cleaned: any value (or none)
        elif o is None and 'C' in allowed:
            ok = True  # removal is the strongest cleaning
        if not ok:
            fail(where, tag, f'{row[0] if row else el.keyword} action {code}: {orig!r} -> {new!r}')
            continue
        if o is not None and el.VR == 'SQ' and len(o.value) > 0:
            if len(o.value) != len(el.value):
                fail(where, tag, 'sequence item count changed')
                continue
            for n, (a, b) in enumerate(zip(el.value, o.value)):
                check(a, b, f'{where}/{el.keyword or Tag(tag)}[{n}]', patient)


def no_private(ds, where):
    for el in ds:
        if el.tag.is_private:
            fail(where, int(el.tag), 'private attribute in output')
        if el.VR == 'SQ':
            for n, item in enumerate(el.value):
                no_private(item, f'{where}/{el.keyword}[{n}]')


for src_path, out_path in req['pairs']:
    src = pydicom.dcmread(src_path, force=True)
    out = pydicom.dcmread(out_path)
    patient = str(out.get('PatientID', ''))
    check(src, out, 'top', patient)
    no_private(out, out_path)
    if out.get('PatientIdentityRemoved') != 'YES':
        fail(out_path, 0x00120062, 'PatientIdentityRemoved is not YES')
    if out.file_meta.MediaStorageSOPInstanceUID != out.get('SOPInstanceUID', out.file_meta.MediaStorageSOPInstanceUID):
        fail(out_path, 0x00020003, 'meta SOP Instance UID differs from the dataset')
    if 'PixelData' in src:
        same = bool('PixelData' in out and src.PixelData == out.PixelData)
        pixel.append(same)
        if not same:
            fail(src_path, 0x7FE00010, 'pixel data differs')

json.dump(
    {
        'violations': violations,
        'seen': seen,
        'uidsMapped': len(uid_map),
        'uidMap': uid_map,
        'dayOffsets': {k: sorted(v) for k, v in offsets.items()},
        'pixelEqual': pixel,
    },
    sys.stdout,
)
