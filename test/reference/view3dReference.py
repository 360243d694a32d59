# Independent reference for the 3D-view e2e test: nibabel reads the TotalSegmentator label map. For each LPS point
# given as JSON: the distance (mm) to the nearest voxel centre of the label, that voxel's slice index k, and how far
# the point lies behind the front (most anterior voxel) of the label in that voxel's column.
import json, sys
import numpy as np
import nibabel as nib

seg_path, label, points = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
seg = nib.load(seg_path)
mask = np.asarray(seg.dataobj) == label
ijk = np.argwhere(mask)
ras = (seg.affine @ np.c_[ijk, np.ones(len(ijk))].T).T[:, :3]
lps = ras * np.array([-1.0, -1.0, 1.0])
out = {'distanceMm': [], 'nearestK': [], 'anteriorDepthMm': [], 'slices': int(mask.shape[2])}
for p in points:
    d = np.sqrt(((lps - np.array(p)) ** 2).sum(1))
    n = int(d.argmin())
    i, _, k = ijk[n]
    column = (ijk[:, 0] == i) & (ijk[:, 2] == k)
    out['distanceMm'].append(float(d[n]))
    out['nearestK'].append(int(k))
    out['anteriorDepthMm'].append(float(p[1] - lps[column, 1].min()))
print(json.dumps(out))
