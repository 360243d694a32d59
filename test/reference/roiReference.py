# Independent reference for the reading-annotation tests: dcm2niix converts the CT series, nibabel reads it; for a
# polygon given in LPS mm (argv[3], JSON), on one slice of that grid, prints the count, mean and population SD of the
# CT values at the voxel centres inside the polygon (even-odd rule, in numpy), and the polygon's area in mm².
# With argv[4] = 'ellipse' the two points are opposite corners of a box on the slice and the shape is the ellipse
# inscribed in that box (its axes along the slice's voxel axes); the area is then π·a·b in mm².
import json, subprocess, sys
import numpy as np
import nibabel as nib

data, tmp, poly_lps = sys.argv[1], sys.argv[2], np.array(json.loads(sys.argv[3]), dtype=float)
ellipse = len(sys.argv) > 4 and sys.argv[4] == 'ellipse'
subprocess.run(['dcm2niix', '-z', 'n', '-f', 'ct', '-o', tmp, f'{data}/example_ct_dicom'], check=True, capture_output=True)
ct = nib.load(f'{tmp}/ct.nii')
hu = ct.get_fdata()
ras = poly_lps * np.array([-1.0, -1.0, 1.0])
vox = (np.linalg.inv(ct.affine) @ np.c_[ras, np.ones(len(ras))].T)[:3].T
axis = next(a for a in (2, 1, 0) if np.allclose(vox[:, a], np.round(vox[0, a]), atol=0.49) and len(set(np.round(vox[:, a]))) == 1)
index = int(np.round(vox[0, axis]))
u, v = [a for a in range(3) if a != axis]
px, py = vox[:, u], vox[:, v]
gx, gy = np.meshgrid(np.arange(hu.shape[u]), np.arange(hu.shape[v]), indexing='ij')
inside = np.zeros(gx.shape, dtype=bool)
if ellipse:
    cx, cy, rx, ry = px.mean(), py.mean(), abs(px[1] - px[0]) / 2, abs(py[1] - py[0]) / 2
    inside = ((gx - cx) / rx) ** 2 + ((gy - cy) / ry) ** 2 <= 1
for n in range(len(px) if not ellipse else 0):
    m = n - 1
    crosses = (py[n] > gy) != (py[m] > gy)
    with np.errstate(divide='ignore', invalid='ignore'):
        xint = (px[m] - px[n]) * (gy - py[n]) / (py[m] - py[n]) + px[n]
    inside ^= crosses & (gx < xint)
sl = np.take(hu, index, axis=axis)
vals = sl[inside]
# Area: shoelace in LPS mm (the polygon is planar).
p = poly_lps - poly_lps.mean(0)
area = 0.5 * np.linalg.norm(sum(np.cross(p[n], p[(n + 1) % len(p)]) for n in range(len(p))))
if ellipse:
    # mm per voxel step along the two in-plane axes: the affine's columns.
    area = np.pi * rx * ry * np.linalg.norm(ct.affine[:3, u]) * np.linalg.norm(ct.affine[:3, v])
print(json.dumps({'count': int(vals.size), 'mean': float(vals.mean()), 'sd': float(vals.std()), 'areaMm2': float(area)}))
