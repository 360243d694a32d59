#!/usr/bin/python3
"""Writes analytic CT phantoms (ellipsoid + sphere with partial-volume edges) as DICOM series for the
measurement tests: one anisotropic axial grid and one oblique grid, plus phantoms.json with the exact
shapes. Usage: /usr/bin/python3 scripts/make-measure-phantoms.py OUTDIR
Voxel value = 1000 * (fraction of the voxel inside an object, from 6x6x6 sub-samples) - 0 background,
so thresholding at 500 keeps voxels at least half inside."""
import json
import os
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

SUB = 6  # sub-samples per axis for the partial-volume fraction


def rot(axis, deg):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    t = np.radians(deg)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


def phantom(name, dims, spacing, rows_dir, cols_dir, origin):
    """rows_dir: LPS direction of increasing column index i (DICOM IOP first triplet); cols_dir: of j."""
    rows_dir = np.asarray(rows_dir, float)
    cols_dir = np.asarray(cols_dir, float)
    normal = np.cross(rows_dir, cols_dir)
    direction = np.stack([rows_dir, cols_dir, normal])  # rows: unit vectors of i, j, k
    spacing = np.asarray(spacing, float)
    origin = np.asarray(origin, float)
    nx, ny, nz = dims

    def lps(ijk):
        return origin + (ijk * spacing) @ direction

    # Ellipsoid axes lie in the grid's slice plane (a, b) and along its normal (c), so the slice through the
    # centre contains the true RECIST long (2a) and short (2b) axes. The in-plane axes are turned by 30 degrees.
    ang = np.radians(30)
    ua = np.cos(ang) * rows_dir + np.sin(ang) * cols_dir
    ub = -np.sin(ang) * rows_dir + np.cos(ang) * cols_dir
    centre_idx = np.array([nx * 0.33, ny * 0.5, nz * 0.5]).round()
    ell_c = lps(centre_idx)
    objects = [
        {"kind": "ellipsoid", "centreLps": ell_c.tolist(), "axesLps": [ua.tolist(), ub.tolist(), normal.tolist()],
         "semiAxesMm": [30.0, 18.0, 22.0]},
    ]
    sph_idx = centre_idx + np.round(np.array([50.0 / spacing[0], 0, 0]))
    objects.append({"kind": "sphere", "centreLps": lps(sph_idx).tolist(), "axesLps": np.eye(3).tolist(),
                    "semiAxesMm": [12.0, 12.0, 12.0]})
    for o in objects:
        a, b, c = o["semiAxesMm"]
        o["volumeMl"] = 4.0 / 3.0 * np.pi * a * b * c / 1000.0

    # Fraction inside per voxel: sub-sample only voxels near a surface, others by their centre.
    ii, jj, kk = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    ijk = np.stack([ii, jj, kk], -1).reshape(-1, 3).astype(float)
    frac = np.zeros(len(ijk))
    half_diag = 0.5 * np.linalg.norm(spacing)
    offs = (np.arange(SUB) + 0.5) / SUB - 0.5
    sub = np.stack(np.meshgrid(offs, offs, offs, indexing="ij"), -1).reshape(-1, 3)
    for o in objects:
        centre = np.asarray(o["centreLps"])
        axes = np.asarray(o["axesLps"])
        semi = np.asarray(o["semiAxesMm"])
        p = lps(ijk) - centre
        local = p @ axes.T
        r = np.sqrt(((local / semi) ** 2).sum(-1))
        inside_c = r <= 1
        near = np.abs(r - 1) * semi.min() <= half_diag * 1.01 + 1e-9
        near |= np.abs(r - 1) <= half_diag / semi.min() * 1.01
        f = inside_c.astype(float)
        idx = np.nonzero(near)[0]
        for chunk in np.array_split(idx, max(1, len(idx) // 20000)):
            pts = lps(ijk[chunk][:, None, :] + sub[None, :, :]) - centre
            loc = pts @ axes.T
            f[chunk] = (((loc / semi) ** 2).sum(-1) <= 1).mean(-1)
        frac = np.maximum(frac, f)
    hu = np.round(frac * 1000).astype(np.int16).reshape(nx, ny, nz)

    outdir = os.path.join(OUT, name)
    os.makedirs(outdir, exist_ok=True)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    for k in range(nz):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.PatientName, ds.PatientID, ds.Modality = "Phantom^Measure", "PHANTOM-" + name, "CT"
        ds.SeriesDescription, ds.SeriesNumber, ds.InstanceNumber = "measure phantom " + name, 1, k + 1
        ds.ImagePositionPatient = [f"{x:.6f}" for x in lps(np.array([0, 0, k], float))]
        ds.ImageOrientationPatient = [f"{x:.8f}" for x in list(rows_dir) + list(cols_dir)]
        ds.PixelSpacing = [f"{spacing[1]:.6f}", f"{spacing[0]:.6f}"]  # row spacing (j), column spacing (i)
        ds.SliceThickness = f"{spacing[2]:.6f}"
        ds.Rows, ds.Columns = ny, nx
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope = 0, 1
        ds.PixelData = np.ascontiguousarray(hu[:, :, k].T).tobytes()  # rows = j, columns = i
        ds.save_as(os.path.join(outdir, f"slice{k:03d}.dcm"), write_like_original=False)
    return {"dims": list(dims), "spacingMm": spacing.tolist(), "directionLps": direction.tolist(),
            "originLps": origin.tolist(), "threshold": 500, "objects": objects}


if __name__ == "__main__":
    OUT = sys.argv[1]
    os.makedirs(OUT, exist_ok=True)
    out = {}
    out["aniso"] = phantom("aniso", (160, 96, 36), (0.7, 0.75, 2.5), [1, 0, 0], [0, 1, 0], [-40.0, -30.0, -20.0])
    r = rot([1, 1, 0.3], 25)  # a general oblique grid (not a single-axis tilt)
    out["oblique"] = phantom("oblique", (128, 80, 48), (0.9, 0.95, 2.0), r[:, 0], r[:, 1], [-45.0, -35.0, -40.0])
    with open(os.path.join(OUT, "phantoms.json"), "w") as f:
        json.dump(out, f, indent=1)
