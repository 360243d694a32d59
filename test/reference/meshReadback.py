# Independent reader for test/unit/planning/meshCli.test.ts: numpy-stl reads binary STL (triangle corners, enclosed
# volume), VTK reads OBJ and PLY (points and triangle connectivity); each file's header or comment text is returned too.
import json, sys
import numpy as np

out = []
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        head = f.read(400).decode('latin-1')
    if path.endswith('.stl'):
        from stl import mesh
        m = mesh.Mesh.from_file(path)
        volume, _, _ = m.get_mass_properties()
        out.append({'path': path, 'header': head[:80], 'triangles': int(len(m.vectors)), 'corners': m.vectors.reshape(-1).astype(float).tolist(), 'volume': float(volume)})
    else:
        import vtk
        from vtk.util.numpy_support import vtk_to_numpy
        reader = vtk.vtkOBJReader() if path.endswith('.obj') else vtk.vtkPLYReader()
        reader.SetFileName(path)
        reader.Update()
        poly = reader.GetOutput()
        pts = vtk_to_numpy(poly.GetPoints().GetData()).astype(float)
        cells = vtk_to_numpy(poly.GetPolys().GetConnectivityArray()).astype(int)
        mass = vtk.vtkMassProperties()
        mass.SetInputData(poly)
        mass.Update()
        out.append({'path': path, 'header': head, 'points': pts.reshape(-1).tolist(), 'cells': cells.tolist(), 'volume': float(mass.GetVolume())})
print(json.dumps(out))
