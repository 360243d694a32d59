#!/usr/bin/python3
"""Independent check of a DICOM SEG against a NIfTI label map (pydicom + nibabel + numpy, no medseg code).

Every set pixel of every SEG frame is placed in patient space (LPS) by that frame's own ImagePositionPatient, the
shared ImageOrientationPatient and PixelSpacing, converted to RAS and through the inverse NIfTI affine to a voxel of
the label map. Prints JSON: per segment its label, pixel count, the label values found under its pixels, how many
pixels fell off the map or between voxels; per label value of the map its voxel count; empty frames.
Usage: segPlacement.py SEG.dcm LABELS.nii.gz
"""
import json
import sys

import nibabel as nib
import numpy as np
import pydicom


def seq_item(ds, *names):
    for n in names:
        ds = getattr(ds, n)[0]
    return ds


def main():
    seg = pydicom.dcmread(sys.argv[1])
    img = nib.load(sys.argv[2])
    labels = np.asarray(img.dataobj).astype(np.int64)
    inv = np.linalg.inv(img.affine)
    frames = seg.pixel_array
    if frames.ndim == 2:
        frames = frames[None]
    shared = seg.SharedFunctionalGroupsSequence[0]
    iop = np.array([float(x) for x in seq_item(shared, 'PlaneOrientationSequence').ImageOrientationPatient])
    row_dir, col_dir = iop[:3], iop[3:]
    ps = [float(x) for x in seq_item(shared, 'PixelMeasuresSequence').PixelSpacing]  # row spacing, column spacing
    names = {int(s.SegmentNumber): str(s.SegmentLabel) for s in seg.SegmentSequence}
    out = {n: {'segmentNumber': n, 'label': names[n], 'pixels': 0, 'values': {}, 'outside': 0, 'maxOffVoxel': 0.0} for n in names}
    seen = {n: set() for n in names}
    empty_frames = 0
    for f, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
        n = int(seq_item(item, 'SegmentIdentificationSequence').ReferencedSegmentNumber)
        ipp = np.array([float(x) for x in seq_item(item, 'PlanePositionSequence').ImagePositionPatient])
        rows, cols = np.nonzero(frames[f])
        if rows.size == 0:
            empty_frames += 1
            continue
        lps = ipp[None, :] + cols[:, None] * ps[1] * row_dir[None, :] + rows[:, None] * ps[0] * col_dir[None, :]
        ras = lps * np.array([-1.0, -1.0, 1.0])
        ijk = ras @ inv[:3, :3].T + inv[:3, 3]
        rounded = np.rint(ijk).astype(np.int64)
        r = out[n]
        r['pixels'] += int(rows.size)
        r['maxOffVoxel'] = max(r['maxOffVoxel'], float(np.abs(ijk - rounded).max()))
        inside = np.all((rounded >= 0) & (rounded < np.array(labels.shape[:3])), axis=1)
        r['outside'] += int((~inside).sum())
        idx = rounded[inside]
        vals = labels[idx[:, 0], idx[:, 1], idx[:, 2]]
        for v, c in zip(*np.unique(vals, return_counts=True)):
            r['values'][str(int(v))] = r['values'].get(str(int(v)), 0) + int(c)
        seen[n].update(map(tuple, idx.tolist()))
    for n in names:
        out[n]['distinctVoxels'] = len(seen[n])
    values, counts = np.unique(labels, return_counts=True)
    print(
        json.dumps(
            {
                'frames': int(frames.shape[0]),
                'emptyFrames': empty_frames,
                'rows': int(seg.Rows),
                'columns': int(seg.Columns),
                'segments': list(out.values()),
                'labelCounts': {str(int(v)): int(c) for v, c in zip(values, counts) if v != 0},
            }
        )
    )


if __name__ == '__main__':
    main()
