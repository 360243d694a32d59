#!/usr/bin/python3
# Independent header reference for the DICOM reader tests: pydicom reads each file and this script resolves
# per-frame geometry itself (enhanced functional groups: per-frame over shared; RTDOSE GridFrameOffsetVector).
# Usage: /usr/bin/python3 scripts/ref-header.py FILE... → JSON list on stdout, one object per file.
import json
import sys

import numpy as np
import pydicom


def floats(v):
    if v is None:
        return None
    try:
        return [float(x) for x in v]
    except TypeError:
        return [float(v)]


def group_item(ds, frame, seq_kw):
    """The macro item for a frame: per-frame functional group first, then the shared one."""
    for name in ('PerFrameFunctionalGroupsSequence', 'SharedFunctionalGroupsSequence'):
        seq = ds.get(name)
        if not seq:
            continue
        item = seq[frame] if name == 'PerFrameFunctionalGroupsSequence' else seq[0]
        if seq_kw in item and len(item[seq_kw].value) > 0:
            return item[seq_kw].value[0]
    return None


def frame_info(ds, f, enhanced):
    if enhanced:
        pos = group_item(ds, f, 'PlanePositionSequence')
        ori = group_item(ds, f, 'PlaneOrientationSequence')
        meas = group_item(ds, f, 'PixelMeasuresSequence')
        pvt = group_item(ds, f, 'PixelValueTransformationSequence')
        content = group_item(ds, f, 'FrameContentSequence')
        ipp = floats(pos.get('ImagePositionPatient')) if pos else floats(ds.get('ImagePositionPatient'))
        iop = floats(ori.get('ImageOrientationPatient')) if ori else floats(ds.get('ImageOrientationPatient'))
        ps = floats(meas.get('PixelSpacing')) if meas else None
        slope = float(pvt.RescaleSlope) if pvt and 'RescaleSlope' in pvt else float(ds.get('RescaleSlope', 1))
        intercept = float(pvt.RescaleIntercept) if pvt and 'RescaleIntercept' in pvt else float(ds.get('RescaleIntercept', 0))
        stack = str(content.StackID) if content and 'StackID' in content else None
        temporal = int(content.TemporalPositionIndex) if content and 'TemporalPositionIndex' in content else None
    else:
        ipp = floats(ds.get('ImagePositionPatient'))
        iop = floats(ds.get('ImageOrientationPatient'))
        ps = floats(ds.get('PixelSpacing'))
        slope = float(ds.get('RescaleSlope', 1))
        intercept = float(ds.get('RescaleIntercept', 0))
        if ds.get('Modality') == 'RTDOSE' and 'RescaleSlope' not in ds and 'DoseGridScaling' in ds:
            slope = float(ds.DoseGridScaling)
        offsets = floats(ds.get('GridFrameOffsetVector'))
        if offsets and ipp and iop and len(offsets) == int(ds.get('NumberOfFrames', 1)):
            normal = np.cross(np.array(iop[:3]), np.array(iop[3:]))
            # PS3.3 C.8.8.3.2: first offset 0 → relative to IPP; otherwise absolute coordinates along the normal
            base = 0.0 if offsets[0] == 0 else float(np.dot(np.array(ipp), normal))
            ipp = (np.array(ipp) + (offsets[f] - base) * normal).tolist()
        stack = None
        temporal = None
    source = 'PixelSpacing'
    if ps is None:
        ps = floats(ds.get('ImagerPixelSpacing'))
        source = 'ImagerPixelSpacing' if ps else 'none'
    return {
        'imagePositionPatient': ipp,
        'imageOrientationPatient': iop,
        'pixelSpacingMm': [ps[1], ps[0]] if ps else None,
        'pixelSpacingSource': source,
        'rescaleSlope': slope,
        'rescaleIntercept': intercept,
        'stackId': stack,
        'temporalPositionIndex': temporal,
    }


def header(path):
    ds = pydicom.dcmread(path, force=True)
    enhanced = 'PerFrameFunctionalGroupsSequence' in ds
    frames = int(ds.get('NumberOfFrames', 1) or 1)

    def s(kw):
        v = ds.get(kw)
        return None if v is None or str(v) == '' else str(v).strip()

    def n(kw):
        v = ds.get(kw)
        return None if v is None or str(v) == '' else float(v)

    return {
        'path': path,
        'sopInstanceUid': s('SOPInstanceUID'),
        'sopClassUid': s('SOPClassUID') or str(ds.file_meta.get('MediaStorageSOPClassUID', '')).strip() or None,
        'studyInstanceUid': s('StudyInstanceUID'),
        'seriesInstanceUid': s('SeriesInstanceUID'),
        'patientId': s('PatientID') or '',
        'patientName': str(ds.get('PatientName', '') or '').strip(),
        'seriesDescription': s('SeriesDescription'),
        'modality': s('Modality') or '',
        'instanceNumber': n('InstanceNumber'),
        'seriesNumber': n('SeriesNumber'),
        'rows': int(ds.get('Rows', 0) or 0),
        'columns': int(ds.get('Columns', 0) or 0),
        'samplesPerPixel': int(ds.get('SamplesPerPixel', 1)),
        'bitsAllocated': int(ds.get('BitsAllocated', 0) or 0),
        'bitsStored': int(ds.get('BitsStored', 0) or 0),
        'pixelRepresentation': int(ds.get('PixelRepresentation', 0) or 0),
        'photometricInterpretation': s('PhotometricInterpretation'),
        'numberOfFrames': frames,
        'gantryTiltDeg': n('GantryDetectorTilt'),
        'isEnhanced': enhanced,
        'frames': [frame_info(ds, f, enhanced) for f in range(frames)],
    }


if __name__ == '__main__':
    json.dump([header(p) for p in sys.argv[1:]], sys.stdout)
