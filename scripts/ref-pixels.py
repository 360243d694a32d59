#!/usr/bin/python3
# Independent pixel reference for the DICOM decoder tests: GDCM decompresses (gdcmconv --raw), pydicom + numpy
# read the stored values, and this script applies the modality rescale (per frame for enhanced objects) itself.
# Usage: /usr/bin/python3 scripts/ref-pixels.py OUT_DIR FILE...  → OUT_DIR/<i>.json and OUT_DIR/<i>.f64
import json
import os
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import apply_color_lut, apply_modality_lut, convert_color_space

UNCOMPRESSED = {'1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99'}


def mask_to_bits_stored(arr, ds):
    """PS3.5 8.1.1: bits above Bits Stored are not part of the value; signed values extend from bit BitsStored-1."""
    bits_stored = int(ds.get('BitsStored', 0) or 0)
    if arr.dtype.kind not in 'iu' or bits_stored <= 0 or bits_stored >= arr.dtype.itemsize * 8:
        return arr
    v = arr.astype(np.int64) & ((1 << bits_stored) - 1)
    if int(ds.get('PixelRepresentation', 0)) == 1:
        v = np.where(v >= (1 << (bits_stored - 1)), v - (1 << bits_stored), v)
    return v


def frame_rescale(ds, frame):
    """(slope, intercept) for a frame: per-frame group, then shared group, then top level; RTDOSE uses DoseGridScaling."""
    for seq_name in ('PerFrameFunctionalGroupsSequence', 'SharedFunctionalGroupsSequence'):
        seq = ds.get(seq_name)
        if not seq:
            continue
        item = seq[frame] if seq_name == 'PerFrameFunctionalGroupsSequence' else seq[0]
        pvt = item.get('PixelValueTransformationSequence')
        if pvt and 'RescaleSlope' in pvt[0]:
            return float(pvt[0].RescaleSlope), float(pvt[0].RescaleIntercept)
    if 'RescaleSlope' in ds or 'RescaleIntercept' in ds:
        return float(ds.get('RescaleSlope', 1)), float(ds.get('RescaleIntercept', 0))
    if ds.get('Modality') == 'RTDOSE' and 'DoseGridScaling' in ds:
        return float(ds.DoseGridScaling), 0.0
    return 1.0, 0.0


def deflated_image_frames(ds):
    """Deflated Image Frame Compression (neither GDCM 3.0 nor pydicom 2.3 know it): zlib raw-inflate each frame."""
    from pydicom.encaps import generate_pixel_data_frame
    frames = int(ds.get('NumberOfFrames', 1) or 1)
    bits = int(ds.BitsAllocated)
    dtype = {1: 'u1', 8: 'u1', 16: '<u2', 32: '<u4'}[bits]
    if int(ds.PixelRepresentation) == 1:
        dtype = dtype.replace('u', 'i')
    if int(ds.SamplesPerPixel) != 1:
        raise ValueError('only grey deflated frames are handled here')
    values = np.empty((frames, int(ds.Rows), int(ds.Columns)), dtype=np.float64)
    for f, data in enumerate(generate_pixel_data_frame(ds.PixelData, frames)):
        arr = np.frombuffer(zlib.decompress(data, -15), dtype=dtype)
        if bits == 1:
            arr = np.unpackbits(arr, bitorder='little')
        arr = arr[: int(ds.Rows) * int(ds.Columns)]
        slope, intercept = frame_rescale(ds, f)
        values[f] = arr.reshape(int(ds.Rows), int(ds.Columns)).astype(np.float64) * slope + intercept
    return {'tool': 'zlib + numpy', 'kind': 'grey', 'frames': frames, 'rows': int(ds.Rows), 'columns': int(ds.Columns),
            'samplesPerPixel': 1, 'transferSyntaxUid': '1.2.840.10008.1.2.8.1',
            'photometric': str(ds.PhotometricInterpretation)}, values


def reference(path, tmp):
    ds = pydicom.dcmread(path, force=True)
    ts_uid = getattr(getattr(ds, 'file_meta', None), 'TransferSyntaxUID', None)
    if not ts_uid:
        # No meta header: pydicom worked out the encoding while reading; its pixel handlers need the UID spelled out.
        ts_uid = '1.2.840.10008.1.2' if ds.is_implicit_VR else ('1.2.840.10008.1.2.1' if ds.is_little_endian else '1.2.840.10008.1.2.2')
        ds.file_meta.TransferSyntaxUID = ts_uid
    ts = str(ts_uid)
    tool = 'pydicom'
    raw = ds
    if ts == '1.2.840.10008.1.2.8.1':
        return deflated_image_frames(ds)
    if ts not in UNCOMPRESSED and ts != '1.2.840.10008.1.2.5':
        out = os.path.join(tmp, 'raw.dcm')
        subprocess.run(['gdcmconv', '--raw', path, out], check=True, capture_output=True, timeout=60)
        raw = pydicom.dcmread(out, force=True)
        tool = 'gdcmconv --raw + pydicom'
    arr = raw.pixel_array
    frames = int(raw.get('NumberOfFrames', 1) or 1)
    spp = int(raw.SamplesPerPixel)
    photometric = str(raw.PhotometricInterpretation)
    if photometric == 'PALETTE COLOR' and spp == 1:
        # pydicom expands the (possibly segmented) palette of the original data set
        arr = apply_color_lut(mask_to_bits_stored(arr, ds).astype(arr.dtype), ds)
        values = arr.astype(np.float64)
        kind = 'rgb'
    elif spp == 3:
        if photometric in ('YBR_FULL', 'YBR_FULL_422'):
            arr = convert_color_space(arr, photometric, 'RGB')
        values = arr.astype(np.float64)
        kind = 'rgb'
    else:
        arr = mask_to_bits_stored(arr.reshape((frames,) + arr.shape[-2:]), ds)
        values = np.empty(arr.shape, dtype=np.float64)
        for f in range(frames):
            if 'ModalityLUTSequence' in ds:
                values[f] = apply_modality_lut(arr[f], ds).astype(np.float64)
            else:
                slope, intercept = frame_rescale(ds, f)
                values[f] = arr[f].astype(np.float64) * slope + intercept
        kind = 'grey'
    return {'tool': tool, 'kind': kind, 'frames': frames, 'rows': int(raw.Rows), 'columns': int(raw.Columns),
            'samplesPerPixel': spp, 'transferSyntaxUid': ts, 'photometric': photometric}, values


def main():
    out_dir = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        for i, path in enumerate(sys.argv[2:]):
            meta = {'path': path}
            try:
                info, values = reference(path, tmp)
                meta.update(info)
                values.astype('<f8').tofile(os.path.join(out_dir, f'{i}.f64'))
            except Exception as e:  # recorded per file: the test decides what a missing reference means
                meta['error'] = f'{type(e).__name__}: {e}'
            with open(os.path.join(out_dir, f'{i}.json'), 'w') as fh:
                json.dump(meta, fh)


if __name__ == '__main__':
    main()
