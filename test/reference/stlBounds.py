# Independent reader for the 3D view's STL export: numpy-stl (Debian python3-stl) reads the binary STL; prints the
# header, the triangle count and the vertex bounds; nibabel gives the label's voxel-centre bounds in RAS.
import json, sys
import numpy as np
import nibabel as nib
from stl import mesh

stl_path, seg_path, label = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = mesh.Mesh.from_file(stl_path)
with open(stl_path, 'rb') as f:
    header = f.read(80).decode('ascii', 'replace')
pts = m.vectors.reshape(-1, 3)
seg = nib.load(seg_path)
ijk = np.argwhere(np.asarray(seg.dataobj) == label)
ras = (seg.affine @ np.c_[ijk, np.ones(len(ijk))].T).T[:, :3]
print(json.dumps({'header': header, 'triangles': int(len(m.vectors)), 'min': pts.min(0).tolist(), 'max': pts.max(0).tolist(),
                  'labelMinRas': ras.min(0).tolist(), 'labelMaxRas': ras.max(0).tolist()}))
