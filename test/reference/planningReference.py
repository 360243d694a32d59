# Independent reference for test/unit/planning/planningMethods.test.ts: scipy's exact Euclidean distance transform
# (with the voxel size as sampling) gives the least distance between the voxel centres of two labels of a NIfTI map,
# and numpy counts the label's voxels.
import json, sys
import numpy as np
import nibabel as nib
from scipy import ndimage

img = nib.load(sys.argv[1])
labels = np.asarray(img.dataobj)
a, b = int(sys.argv[2]), int(sys.argv[3])
zooms = [float(z) for z in img.header.get_zooms()[:3]]
dist = ndimage.distance_transform_edt(labels != b, sampling=zooms)
print(json.dumps({'minDistanceMm': float(dist[labels == a].min()), 'voxelsA': int((labels == a).sum()), 'voxelMl': float(np.prod(zooms)) / 1000.0}))
