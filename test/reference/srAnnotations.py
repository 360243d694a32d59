#!/usr/bin/python3
"""Reads the annotation groups of a TID 1500 report with pydicom (no medseg code): per Measurement Group whose tracking
identifier starts with "annotation", every NUM (concept code + derivation code -> value, unit) and its spatial
coordinates, each point turned into LPS mm from the referenced image's own ImagePositionPatient, ImageOrientationPatient
and PixelSpacing (SCOORD (column, row): the top left corner of the top left pixel is (0, 0)).
Usage: srAnnotations.py SR.dcm UID_TO_FILE.json -> JSON list of groups."""
import json
import sys

import numpy as np
import pydicom


def code(seq):
    return seq[0].CodeValue if seq else None


def lps_of(item, files):
    ref = item.ContentSequence[0].ReferencedSOPSequence[0]
    img = pydicom.dcmread(files[ref.ReferencedSOPInstanceUID], stop_before_pixels=True)
    ipp = np.array([float(x) for x in img.ImagePositionPatient])
    iop = [float(x) for x in img.ImageOrientationPatient]
    row_dir, col_dir = np.array(iop[:3]), np.array(iop[3:])
    row_mm, col_mm = float(img.PixelSpacing[0]), float(img.PixelSpacing[1])
    data = [float(x) for x in item.GraphicData]
    pts = [ipp + row_dir * (c - 0.5) * col_mm + col_dir * (r - 0.5) * row_mm for c, r in zip(data[0::2], data[1::2])]
    return {'graphicType': item.GraphicType, 'sopInstanceUid': ref.ReferencedSOPInstanceUID, 'lps': [p.tolist() for p in pts]}


def walk(items, files, out):
    for it in items:
        name = code(it.get('ConceptNameCodeSequence', []))
        if it.ValueType == 'CONTAINER' and name == '125007':
            g = {'nums': {}}
            for c in it.ContentSequence:
                cn = code(c.ConceptNameCodeSequence) if 'ConceptNameCodeSequence' in c else None
                if cn == '112039':
                    g['trackingId'] = c.TextValue
                elif c.ValueType == 'SCOORD':
                    g['region'] = lps_of(c, files)
                elif c.ValueType == 'NUM':
                    mv = c.MeasuredValueSequence[0]
                    der = None
                    for m in c.get('ContentSequence', []):
                        if m.ValueType == 'SCOORD':
                            g['inferredFrom'] = lps_of(m, files)
                        elif code(m.ConceptNameCodeSequence) == '121401':
                            der = code(m.ConceptCodeSequence)
                    g['nums'][cn + ('/' + der if der else '')] = {'value': float(mv.NumericValue), 'unit': code(mv.MeasurementUnitsCodeSequence)}
            if g.get('trackingId', '').startswith('annotation'):
                out.append(g)
        elif 'ContentSequence' in it:
            walk(it.ContentSequence, files, out)


ds = pydicom.dcmread(sys.argv[1])
with open(sys.argv[2]) as f:
    files = json.load(f)
groups = []
walk(ds.ContentSequence, files, groups)
print(json.dumps(groups))
