# Independent reference for methods-analysis.test.ts: nibabel counts the TotalSegmentator liver voxels and gives the
# voxel size; pydicom rescales the CT to HU and numpy counts the voxels inside a HU range (the threshold tool).
import glob, json, sys
import numpy as np
import nibabel as nib
import pydicom

data, lo, hi = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
seg = nib.load(f'{data}/example_seg_dicom.nii.gz')
labels = np.asarray(seg.dataobj)
zooms = [float(z) for z in seg.header.get_zooms()[:3]]
ds = [pydicom.dcmread(f) for f in glob.glob(f'{data}/example_ct_dicom/*.dcm')]
ds.sort(key=lambda d: float(d.ImagePositionPatient[2]))
hu = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in ds])
print(json.dumps({
    'liverVoxels': int((labels == 5).sum()),
    'voxelMl': float(np.prod(zooms)) / 1000.0,
    'thresholdVoxels': int(((hu >= lo) & (hu <= hi)).sum()),
}))
