# Independent reference for test/unit/methods/analysis.test.ts: nibabel counts the TotalSegmentator liver voxels and gives the
# voxel size; pydicom rescales the CT to HU and numpy counts the voxels inside a HU range (the threshold tool);
# scipy's Sobel gives the gradient magnitude in HU/mm, counted in the edge map's bands (x1, x2, x4, x8 of a threshold).
import glob, json, sys
import numpy as np
import nibabel as nib
import pydicom
from scipy import ndimage

data, lo, hi = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
seg = nib.load(f'{data}/example_seg_dicom.nii.gz')
labels = np.asarray(seg.dataobj)
zooms = [float(z) for z in seg.header.get_zooms()[:3]]
ds = [pydicom.dcmread(f) for f in glob.glob(f'{data}/example_ct_dicom/*.dcm')]
ds.sort(key=lambda d: float(d.ImagePositionPatient[2]))
hu = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in ds])
out = {}
if len(sys.argv) > 4:
    t = float(sys.argv[4])
    dy, dx = (float(v) for v in ds[0].PixelSpacing)
    dz = abs(float(ds[1].ImagePositionPatient[2]) - float(ds[0].ImagePositionPatient[2]))
    f = hu.astype(np.float64)
    # hu is [k, j, i]: axis 0 = slices (dz), 1 = rows (dy), 2 = columns (dx); Sobel sums 32 x (slope x spacing).
    mag = np.sqrt(sum((ndimage.sobel(f, axis=a, mode='nearest') / (32 * s)) ** 2 for a, s in ((0, dz), (1, dy), (2, dx))))
    bands = np.where(mag >= 8 * t, 4, np.where(mag >= 4 * t, 3, np.where(mag >= 2 * t, 2, np.where(mag >= t, 1, 0))))
    out['edgeBands'] = [int((bands == b).sum()) for b in (1, 2, 3, 4)]
print(json.dumps({
    **out,
    'liverVoxels': int((labels == 5).sum()),
    'voxelMl': float(np.prod(zooms)) / 1000.0,
    'thresholdVoxels': int(((hu >= lo) & (hu <= hi)).sum()),
}))
