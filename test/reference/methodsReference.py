# Independent reference for test/unit/methods/catalog.test.ts: pydicom gives each CT slice's position, nibabel the label file; for
# sample voxels of the DICOM grid, the label found at the same LPS point in the NIfTI, and the CT value there.
import glob, json, sys
import numpy as np
import nibabel as nib
import pydicom

data = sys.argv[1]
ds = [pydicom.dcmread(f) for f in glob.glob(f'{data}/example_ct_dicom/*.dcm')]
ds.sort(key=lambda d: float(d.ImagePositionPatient[2]))
row_dir = np.array(ds[0].ImageOrientationPatient[:3], float)
col_dir = np.array(ds[0].ImageOrientationPatient[3:], float)
dy, dx = (float(v) for v in ds[0].PixelSpacing)  # PixelSpacing = [row spacing, column spacing]
seg = nib.load(f'{data}/example_seg_dicom.nii.gz')
labels = np.asarray(seg.dataobj)
inv = np.linalg.inv(seg.affine)
rng = np.random.default_rng(7)
liver = np.argwhere(labels == 5)
samples = []
picks = [tuple(int(x) for x in rng.integers(0, [512, 512, len(ds)])) for _ in range(150)]
# Plus voxels the label file calls liver, located in the DICOM grid through LPS.
zs = np.array([float(d.ImagePositionPatient[2]) for d in ds])
for n_idx in liver[rng.choice(len(liver), 50, replace=False)]:
    r = seg.affine @ np.array([*n_idx, 1.0])
    lps = np.array([-r[0], -r[1], r[2]])
    k = int(np.argmin(np.abs(zs - lps[2])))
    d = lps - np.array(ds[k].ImagePositionPatient, float)
    picks.append((int(round(d @ row_dir / dx)), int(round(d @ col_dir / dy)), k))
for i, j, k in picks:
    lps = np.array(ds[k].ImagePositionPatient, float) + i * dx * row_dir + j * dy * col_dir
    n = inv @ np.array([-lps[0], -lps[1], lps[2], 1.0])
    idx = np.round(n[:3]).astype(int)
    samples.append({'ijk': [i, j, k], 'label': int(labels[tuple(idx)])})
print(json.dumps({
    'samples': samples,
    'liverVoxels': int((labels == 5).sum()),
    'ctValue': {'ijk': [175, 279, 10], 'value': float(ds[10].pixel_array[279, 175] * float(ds[10].RescaleSlope) + float(ds[10].RescaleIntercept))},
}))
