#!/usr/bin/python3
"""Reads a TID 1500 measurement report with pydicom (no medseg code): per Measurement Group its tracking identifier,
referenced SEG segment, finding code and every NUM as concept code (+ derivation code) -> value with its unit.
Usage: srFigures.py SR.dcm -> JSON list of groups."""
import json
import sys

import pydicom


def code(seq):
    return seq[0].CodeValue if seq else None


def walk(items, out):
    for it in items:
        name = code(it.get('ConceptNameCodeSequence', []))
        if it.ValueType == 'CONTAINER' and name == '125007':
            g = {'nums': {}}
            for c in it.ContentSequence:
                cn = code(c.ConceptNameCodeSequence) if 'ConceptNameCodeSequence' in c else None
                if cn == '112039':
                    g['trackingId'] = c.TextValue
                elif cn == '121191':
                    g['segmentNumber'] = int(c.ReferencedSOPSequence[0].ReferencedSegmentNumber)
                    g['segUid'] = c.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
                elif cn == '121071':
                    g['finding'] = code(c.ConceptCodeSequence)
                elif cn == '121232':
                    g['sourceSeries'] = c.UID
                elif c.ValueType == 'NUM':
                    mv = c.MeasuredValueSequence[0]
                    der = None
                    for m in c.get('ContentSequence', []):
                        if code(m.ConceptNameCodeSequence) == '121401':
                            der = code(m.ConceptCodeSequence)
                    key = cn + ('/' + der if der else '')
                    g['nums'][key] = {'value': float(mv.NumericValue), 'unit': code(mv.MeasurementUnitsCodeSequence)}
            out.append(g)
        elif 'ContentSequence' in it:
            walk(it.ContentSequence, out)


ds = pydicom.dcmread(sys.argv[1])
groups = []
walk(ds.ContentSequence, groups)
print(json.dumps({'template': ds.ContentTemplateSequence[0].TemplateIdentifier, 'title': code(ds.ConceptNameCodeSequence), 'groups': groups}))
