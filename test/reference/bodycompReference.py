#!/usr/bin/python3
"""Independent body-composition reference (numpy/nibabel/scipy): per-level tissue voxel counts, partial-volume band
counts, and per-slice tissue areas and mean HU, by the rules stated in shared/domain/measure/bodyComposition.ts.

usage: bodycompReference.py CT TISSUE_FOLDER VERTEBRAE NAMES_CSV LEVEL[,LEVEL...]  -> JSON on stdout
"""
import csv, json, os, re, sys
import nibabel as nib
import numpy as np
from scipy import ndimage

ct_path, tissue_dir, vert_path, names_csv, slice_levels = sys.argv[1:6]
ct_img = nib.load(ct_path)
ct = np.asarray(ct_img.dataobj).astype(np.float64)
aff = ct_img.affine
files = sorted(f for f in os.listdir(tissue_dir) if re.search(r'\.nii(\.gz)?$', f))
tissues = {re.sub(r'\.nii(\.gz)?$', '', f): np.asarray(nib.load(os.path.join(tissue_dir, f)).dataobj) > 0 for f in files}
vert = np.asarray(nib.load(vert_path).dataobj)
levels = {}
with open(names_csv) as fh:
    for row in csv.reader(fh):
        m = re.match(r'^vertebrae_([CTLS]\d+)$', row[1]) if len(row) > 1 else None
        if m: levels[int(row[0])] = m.group(1)

nx, ny, nz = ct.shape
# S (RAS z == LPS z) of each slice's middle voxel centre, and of every voxel centre
slice_s = np.array([(aff @ [(nx - 1) / 2, (ny - 1) / 2, k, 1])[2] for k in range(nz)])
voxel_ml = abs(np.linalg.det(aff[:3, :3])) / 1000
pixel_cm2 = np.linalg.norm(np.cross(aff[:3, 0], aff[:3, 1])) / 100
six = ndimage.generate_binary_structure(3, 1)
lower = {n: ndimage.binary_erosion(m, six, border_value=0) for n, m in tissues.items()}
upper = {n: ndimage.binary_dilation(m, six) for n, m in tissues.items()}

out_levels = {}
centres = {}
for value, name in levels.items():
    ijk = np.argwhere(vert == value)
    if len(ijk) == 0: continue
    s = (np.c_[ijk, np.ones(len(ijk))] @ aff.T)[:, 2]
    centres[name] = float(s.mean())
    ks = np.where((slice_s >= s.min() - 1e-6) & (slice_s <= s.max() + 1e-6))[0]
    sl = slice(ks.min(), ks.max() + 1)
    out_levels[name] = dict(
        sliceRange=[int(ks.min()), int(ks.max())],
        truncated=bool(ijk[:, 2].min() == 0 or ijk[:, 2].max() == nz - 1),
        tissues={n: dict(volumeMl=float(m[:, :, sl].sum() * voxel_ml), volumeMlLower=float(lower[n][:, :, sl].sum() * voxel_ml),
                         volumeMlUpper=float(upper[n][:, :, sl].sum() * voxel_ml)) for n, m in tissues.items()})

slices = {}
for lv in slice_levels.split(','):
    if lv not in centres: continue
    k = int(np.argmin(np.abs(slice_s - centres[lv])))
    slices[lv] = dict(k=k, zLps=float(slice_s[k]), centreS=centres[lv],
                      tissues={n: dict(areaCm2=float(m[:, :, k].sum() * pixel_cm2), meanHu=float(ct[:, :, k][m[:, :, k]].mean()) if m[:, :, k].any() else None)
                               for n, m in tissues.items()})
print(json.dumps(dict(levels=out_levels, slices=slices, order=sorted(centres, key=lambda n: -centres[n]))))
