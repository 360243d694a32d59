# Independent reference for the viewer e2e test: dcm2niix converts the CT series, nibabel reads it and the
# TotalSegmentator label map; prints a deep-liver voxel (LPS mm), the CT value there, and the grid extent in LPS.
import json, subprocess, sys
import numpy as np
import nibabel as nib

data, tmp = sys.argv[1], sys.argv[2]
subprocess.run(['dcm2niix', '-z', 'n', '-f', 'ct', '-o', tmp, f'{data}/example_ct_dicom'], check=True, capture_output=True)
ct = nib.load(f'{tmp}/ct.nii')
hu = ct.get_fdata()
seg = nib.load(f'{data}/example_seg_dicom.nii.gz')
liver = np.asarray(seg.dataobj) == 5

# Voxels whose 9x9x3 neighbourhood is all liver, away from the first/last slice: a pixel check there cannot
# land on an edge. Take the one nearest the centroid of that core.
core = liver.copy()
for di in range(-4, 5):
    for dj in range(-4, 5):
        for dk in (-1, 0, 1):
            core &= np.roll(liver, (di, dj, dk), axis=(0, 1, 2))
core[:, :, 0] = core[:, :, -1] = False
idx = np.argwhere(core)
pick = idx[np.argmin(((idx - idx.mean(0)) ** 2).sum(1))]
ras = seg.affine @ np.array([*pick, 1.0])
lps = [-ras[0], -ras[1], ras[2]]
v = np.linalg.inv(ct.affine) @ np.array([ras[0], ras[1], ras[2], 1.0])
ct_ijk = np.round(v[:3]).astype(int)
assert np.allclose(v[:3], ct_ijk, atol=1e-3), 'label grid and CT grid should coincide'

# CT values around the liver voxel in its axial slice: patch[dj + 3][di + 3] is the voxel di columns toward L and
# dj rows toward P (DICOM row/column directions of this series are +x and +y).
patch = []
for dj in range(-3, 4):
    row = []
    for di in range(-3, 4):
        lps_n = [lps[0] + di * 0.9765625, lps[1] + dj * 0.9765625, lps[2]]
        w = np.linalg.inv(ct.affine) @ np.array([-lps_n[0], -lps_n[1], lps_n[2], 1.0])
        row.append(float(hu[tuple(np.round(w[:3]).astype(int))]))
    patch.append(row)

# Voxel-centre bounding box of the CT grid in LPS, and the spacing along each LPS axis.
corners = []
for i in (0, ct.shape[0] - 1):
    for j in (0, ct.shape[1] - 1):
        for k in (0, ct.shape[2] - 1):
            r = ct.affine @ np.array([i, j, k, 1.0])
            corners.append([-r[0], -r[1], r[2]])
corners = np.array(corners)
spacing = [float(np.abs(ct.affine[a, :3]).max()) for a in range(3)]

print(json.dumps({
    'liverLps': [float(x) for x in lps],
    'huAtLiver': float(hu[tuple(ct_ijk)]),
    'huPatch': patch,
    'lpsMin': corners.min(0).tolist(),
    'lpsMax': corners.max(0).tolist(),
    'spacingLps': spacing,
    'airLps': [float(corners.min(0)[0] + 5), float(corners.min(0)[1] + 5), float(lps[2])],
}))
