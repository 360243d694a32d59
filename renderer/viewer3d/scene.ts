// The 3D scene of one series on vtk.js (WebGL): label surfaces in LPS mm, CT volume rendering, the 2D crosshair as
// three lines, an orientation cube with patient letters, trackball rotate/zoom/pan and surface picking.
// World coordinates are LPS millimetres throughout, so a picked point is a patient position as it stands.
import '@kitware/vtk.js/Rendering/OpenGL/Profiles/Geometry';
import '@kitware/vtk.js/Rendering/OpenGL/Profiles/Volume';
import vtkOpenGLRenderWindow from '@kitware/vtk.js/Rendering/OpenGL/RenderWindow';
import vtkRenderWindow from '@kitware/vtk.js/Rendering/Core/RenderWindow';
import vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import vtkRenderWindowInteractor from '@kitware/vtk.js/Rendering/Core/RenderWindowInteractor';
import vtkInteractorStyleTrackballCamera from '@kitware/vtk.js/Interaction/Style/InteractorStyleTrackballCamera';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkVolume from '@kitware/vtk.js/Rendering/Core/Volume';
import vtkVolumeMapper from '@kitware/vtk.js/Rendering/Core/VolumeMapper';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkPiecewiseFunction from '@kitware/vtk.js/Common/DataModel/PiecewiseFunction';
import vtkCellPicker from '@kitware/vtk.js/Rendering/Core/CellPicker';
import vtkAnnotatedCubeActor from '@kitware/vtk.js/Rendering/Core/AnnotatedCubeActor';
import vtkOrientationMarkerWidget from '@kitware/vtk.js/Interaction/Widgets/OrientationMarkerWidget';
import type { VolumeGeometry, Vec3 } from '../../shared/domain/volume.js';
import { toStoredUnits, type VolumePreset } from '../../shared/domain/view3d/volumePresets.js';

/** One label's surface: vertices in LPS mm (x,y,z per vertex), triangles as vertex index triples. */
export interface SurfaceMesh {
  key: string;
  labelValue: number;
  name: string;
  colorRgb: [number, number, number];
  pointsLps: Float32Array;
  triangles: Uint32Array;
}

export interface SurfaceStyle {
  visible: boolean;
  opacity: number;
}

export interface ScenePick {
  surfaceKey: string;
  labelValue: number;
  pointLps: Vec3;
}

const CROSSHAIR_RGB: [number, number, number] = [0x50 / 255, 0xc8 / 255, 1];
/** The cut plane's colour: the rulers' and 2D traces' yellow. */
const CUT_RGB: [number, number, number] = [1, 0xe1 / 255, 0x4d / 255];

export interface Scene3d {
  setSurfaces(meshes: readonly SurfaceMesh[]): void;
  styleSurface(key: string, style: SurfaceStyle): void;
  /** CT volume rendering: stored integers with the slope/intercept to HU; preset null hides it. */
  setVolume(geometry: VolumeGeometry, stored: Int16Array, slope: number, intercept: number): void;
  setVolumePreset(preset: VolumePreset | null): void;
  setCrosshair(pointLps: Vec3 | null): void;
  /**
   * The resection cut: a translucent polygon (vertices in order, LPS mm) with its outline and, when keptNormal is
   * given, a line from its centre into the kept side; null hides it.
   */
  setCutPolygon(verticesLps: readonly Vec3[] | null, keptNormalLps?: Vec3 | null): void;
  /** Anterior view (patient's right on the screen's left, head up), whole scene in view. */
  resetCamera(): void;
  /** Turns the camera about the view-up axis (degrees), as a drag would. */
  rotate(azimuthDeg: number): void;
  /** The front-most surface under a canvas position in CSS pixels from the top-left of the container. */
  pick(cssX: number, cssY: number): ScenePick | null;
  render(): void;
  resize(): void;
  dispose(): void;
}

function unionBounds(list: readonly number[][]): [number, number, number, number, number, number] {
  const u: [number, number, number, number, number, number] = [Infinity, -Infinity, Infinity, -Infinity, Infinity, -Infinity];
  for (const b of list)
    for (let a = 0; a < 3; a++) {
      u[2 * a] = Math.min(u[2 * a], b[2 * a]);
      u[2 * a + 1] = Math.max(u[2 * a + 1], b[2 * a + 1]);
    }
  return u;
}

export function createScene3d(container: HTMLElement): Scene3d {
  const renderWindow = vtkRenderWindow.newInstance();
  const renderer = vtkRenderer.newInstance({ background: [0, 0, 0] });
  renderWindow.addRenderer(renderer);
  const glWindow = vtkOpenGLRenderWindow.newInstance();
  glWindow.setContainer(container);
  renderWindow.addView(glWindow);

  const interactor = vtkRenderWindowInteractor.newInstance();
  interactor.setView(glWindow);
  interactor.initialize();
  interactor.bindEvents(container);
  interactor.setInteractorStyle(vtkInteractorStyleTrackballCamera.newInstance());

  // The cut plane is drawn by a second renderer on a layer above the surfaces (same camera, depth cleared), so the
  // part of it inside an opaque organ stays visible: the translucent plane reads as an x-ray of where the cut runs.
  const overlay = vtkRenderer.newInstance();
  overlay.setInteractive(false);
  overlay.setActiveCamera(renderer.getActiveCamera());
  renderWindow.setNumberOfLayers(2);
  overlay.setLayer(1);
  renderWindow.addRenderer(overlay);

  // Orientation cube in patient letters: world axes are L, P, S (LPS), so +x is the patient's left.
  const cube = vtkAnnotatedCubeActor.newInstance();
  cube.setDefaultStyle({
    fontStyle: 'bold',
    fontFamily: 'sans-serif',
    fontColor: 'black',
    faceColor: '#cccccc',
    edgeThickness: 0.1,
    edgeColor: 'black',
    resolution: 200,
  });
  cube.setXPlusFaceProperty({ text: 'L', faceColor: '#ffd24d' });
  cube.setXMinusFaceProperty({ text: 'R', faceColor: '#ffd24d' });
  cube.setYPlusFaceProperty({ text: 'P', faceColor: '#8fd18f' });
  cube.setYMinusFaceProperty({ text: 'A', faceColor: '#8fd18f' });
  cube.setZPlusFaceProperty({ text: 'S', faceColor: '#8fb6ff' });
  cube.setZMinusFaceProperty({ text: 'I', faceColor: '#8fb6ff' });
  const marker = vtkOrientationMarkerWidget.newInstance({ actor: cube, interactor });
  marker.setEnabled(true);
  marker.setViewportCorner(vtkOrientationMarkerWidget.Corners.BOTTOM_LEFT);
  marker.setViewportSize(0.18);
  marker.setMinPixelSize(60);
  marker.setMaxPixelSize(140);

  const surfaces = new Map<string, { actor: vtkActor; mesh: SurfaceMesh }>();
  const picker = vtkCellPicker.newInstance();
  picker.setPickFromList(true);
  picker.setTolerance(0);

  let volumeActor: vtkVolume | null = null;
  let volumeImage: vtkImageData | null = null;
  let volumeScale = { slope: 1, intercept: 0 };
  const colour = vtkColorTransferFunction.newInstance();
  const opacity = vtkPiecewiseFunction.newInstance();

  const crosshairData = vtkPolyData.newInstance();
  const crosshairMapper = vtkMapper.newInstance();
  crosshairMapper.setInputData(crosshairData);
  const crosshairActor = vtkActor.newInstance();
  crosshairActor.setMapper(crosshairMapper);
  crosshairActor.getProperty().setColor(...CROSSHAIR_RGB);
  crosshairActor.getProperty().setLineWidth(2);
  crosshairActor.getProperty().setLighting(false);
  crosshairActor.setPickable(false);
  crosshairActor.setVisibility(false);
  renderer.addActor(crosshairActor);

  // The cut plane: a filled translucent polygon and its opaque outline, neither pickable (clicks reach the organ).
  const cutData = vtkPolyData.newInstance();
  const cutMapper = vtkMapper.newInstance({ scalarVisibility: false });
  cutMapper.setInputData(cutData);
  const cutActor = vtkActor.newInstance();
  cutActor.setMapper(cutMapper);
  cutActor.getProperty().setColor(...CUT_RGB);
  cutActor.getProperty().setOpacity(0.45);
  cutActor.getProperty().setLighting(false);
  cutActor.setPickable(false);
  cutActor.setVisibility(false);
  overlay.addActor(cutActor);
  const cutEdgeData = vtkPolyData.newInstance();
  const cutEdgeMapper = vtkMapper.newInstance({ scalarVisibility: false });
  cutEdgeMapper.setInputData(cutEdgeData);
  const cutEdgeActor = vtkActor.newInstance();
  cutEdgeActor.setMapper(cutEdgeMapper);
  cutEdgeActor.getProperty().setColor(...CUT_RGB);
  cutEdgeActor.getProperty().setLineWidth(2);
  cutEdgeActor.getProperty().setLighting(false);
  cutEdgeActor.setPickable(false);
  cutEdgeActor.setVisibility(false);
  overlay.addActor(cutEdgeActor);

  const resize = (): void => {
    const { width, height } = container.getBoundingClientRect();
    if (width < 1 || height < 1) return;
    const dpr = window.devicePixelRatio || 1;
    glWindow.setSize(Math.floor(width * dpr), Math.floor(height * dpr));
    marker.updateViewport();
    renderWindow.render();
  };

  /** The series' extent (shown or not), else what is in view: the camera frames it and the crosshair spans it. */
  const sceneBounds = (): [number, number, number, number, number, number] => {
    const b = volumeImage ? volumeImage.getBounds() : renderer.computeVisiblePropBounds();
    return [b[0], b[1], b[2], b[3], b[4], b[5]];
  };

  const drawCrosshair = (p: Vec3 | null): void => {
    const b = sceneBounds();
    if (!p || !Number.isFinite(b[0]) || b[1] < b[0]) {
      crosshairActor.setVisibility(false);
      return;
    }
    const pts = new Float32Array([b[0], p[1], p[2], b[1], p[1], p[2], p[0], b[2], p[2], p[0], b[3], p[2], p[0], p[1], b[4], p[0], p[1], b[5]]);
    crosshairData.getPoints().setData(pts, 3);
    crosshairData.getLines().setData(new Uint32Array([2, 0, 1, 2, 2, 3, 2, 4, 5]));
    crosshairData.modified();
    crosshairActor.setVisibility(true);
  };
  let crosshair: Vec3 | null = null;

  const scene: Scene3d = {
    setSurfaces(meshes) {
      for (const { actor } of surfaces.values()) renderer.removeActor(actor);
      surfaces.clear();
      picker.initializePickList();
      for (const mesh of meshes) {
        const poly = vtkPolyData.newInstance();
        poly.getPoints().setData(mesh.pointsLps, 3);
        const cells = new Uint32Array((mesh.triangles.length / 3) * 4);
        for (let t = 0, c = 0; t < mesh.triangles.length; t += 3, c += 4) {
          cells[c] = 3;
          cells[c + 1] = mesh.triangles[t];
          cells[c + 2] = mesh.triangles[t + 1];
          cells[c + 3] = mesh.triangles[t + 2];
        }
        poly.getPolys().setData(cells);
        const mapper = vtkMapper.newInstance({ scalarVisibility: false });
        mapper.setInputData(poly);
        const actor = vtkActor.newInstance();
        actor.setMapper(mapper);
        const prop = actor.getProperty();
        prop.setColor(mesh.colorRgb[0] / 255, mesh.colorRgb[1] / 255, mesh.colorRgb[2] / 255);
        // Mostly diffuse: the surface keeps the label colour a reader matches with the 2D overlay.
        prop.setAmbient(0.25);
        prop.setDiffuse(0.75);
        prop.setSpecular(0.1);
        renderer.addActor(actor);
        picker.addPickList(actor);
        surfaces.set(mesh.key, { actor, mesh });
      }
      drawCrosshair(crosshair);
    },
    styleSurface(key, style) {
      const s = surfaces.get(key);
      if (!s) return;
      s.actor.setVisibility(style.visible);
      s.actor.setPickable(style.visible);
      s.actor.getProperty().setOpacity(Math.min(1, Math.max(0, style.opacity)));
    },
    setVolume(geometry, stored, slope, intercept) {
      if (volumeActor) renderer.removeVolume(volumeActor);
      const image = vtkImageData.newInstance();
      image.setDimensions(geometry.dims[0], geometry.dims[1], geometry.dims[2]);
      image.setSpacing([...geometry.spacingMm]);
      image.setOrigin([...geometry.originLps]);
      // vtk.js keeps the direction as the i, j and k axis vectors one after the other: our rows, flattened.
      image.setDirection(Float32Array.from(geometry.directionLps.flat()));
      image.getPointData().setScalars(vtkDataArray.newInstance({ name: 'stored', numberOfComponents: 1, values: stored }));
      const mapper = vtkVolumeMapper.newInstance();
      mapper.setInputData(image);
      // One sample per finest voxel step: finer costs software WebGL seconds a frame for little visible gain.
      mapper.setSampleDistance(Math.min(...geometry.spacingMm));
      const actor = vtkVolume.newInstance();
      actor.setMapper(mapper);
      actor.getProperty().setRGBTransferFunction(0, colour);
      actor.getProperty().setScalarOpacity(0, opacity);
      actor.getProperty().setInterpolationTypeToLinear();
      actor.getProperty().setShade(true);
      actor.getProperty().setAmbient(0.3);
      actor.getProperty().setDiffuse(0.7);
      actor.setPickable(false);
      actor.setVisibility(false);
      volumeScale = { slope, intercept };
      volumeImage = image;
      volumeActor = actor;
      renderer.addVolume(actor);
    },
    setVolumePreset(preset) {
      if (!volumeActor) return;
      volumeActor.setVisibility(preset !== null);
      if (!preset) return;
      colour.removeAllPoints();
      for (const [x, r, g, b] of toStoredUnits(preset.colourPoints, volumeScale.slope, volumeScale.intercept)) colour.addRGBPoint(x, r, g, b);
      opacity.removeAllPoints();
      for (const [x, a] of toStoredUnits(preset.opacityPoints, volumeScale.slope, volumeScale.intercept)) opacity.addPoint(x, a);
    },
    setCrosshair(p) {
      crosshair = p;
      drawCrosshair(p);
    },
    setCutPolygon(vertices, keptNormal) {
      if (!vertices || vertices.length < 3) {
        cutActor.setVisibility(false);
        cutEdgeActor.setVisibility(false);
        return;
      }
      const pts = Float32Array.from(vertices.flat());
      const n = vertices.length;
      cutData.getPoints().setData(pts, 3);
      cutData.getPolys().setData(Uint32Array.from([n, ...vertices.map((_, i) => i)]));
      cutData.modified();
      const centre = [0, 1, 2].map((q) => vertices.reduce((sum, v) => sum + v[q], 0) / n);
      const size = Math.max(...vertices.map((v) => Math.hypot(v[0] - centre[0], v[1] - centre[1], v[2] - centre[2])));
      const tip = keptNormal ? centre.map((c, q) => c + 0.5 * size * keptNormal[q]) : null;
      cutEdgeData.getPoints().setData(Float32Array.from(tip ? [...pts, ...centre, ...tip] : pts), 3);
      const outline = [n + 1, ...vertices.map((_, i) => i), 0];
      cutEdgeData.getLines().setData(Uint32Array.from(tip ? [...outline, 2, n, n + 1] : outline));
      cutEdgeData.modified();
      cutActor.setVisibility(true);
      cutEdgeActor.setVisibility(true);
      renderer.resetCameraClippingRange();
    },
    resetCamera() {
      // Anterior view: looking from the front (-P) towards +P, head (+S) up; the patient's right is on screen left.
      // Framed on the visible surfaces (else the series), fitting their L-R and I-S extent to the view: vtk's own
      // reset fits a bounding sphere, which leaves a thin slab of slices tiny in the middle of the view.
      const shown = [...surfaces.values()].filter((s) => s.actor.getVisibility()).map((s) => s.actor.getBounds());
      const b = shown.length > 0 ? unionBounds(shown) : sceneBounds();
      if (!Number.isFinite(b[0]) || b[1] < b[0]) return;
      const camera = renderer.getActiveCamera();
      const centre: Vec3 = [(b[0] + b[1]) / 2, (b[2] + b[3]) / 2, (b[4] + b[5]) / 2];
      const [w, h] = glWindow.getSize();
      const aspect = w > 0 && h > 0 ? w / h : 1;
      const tanHalf = Math.tan(((camera.getViewAngle() / 2) * Math.PI) / 180);
      const margin = 1.1;
      const distance = Math.max((b[1] - b[0]) / 2 / (tanHalf * aspect), (b[5] - b[4]) / 2 / tanHalf) * margin + (b[3] - b[2]) / 2;
      camera.setFocalPoint(...centre);
      camera.setPosition(centre[0], centre[1] - distance, centre[2]);
      camera.setViewUp(0, 0, 1);
      renderer.resetCameraClippingRange();
    },
    rotate(azimuthDeg) {
      renderer.getActiveCamera().azimuth(azimuthDeg);
      renderer.resetCameraClippingRange();
    },
    pick(cssX, cssY) {
      const { width, height } = container.getBoundingClientRect();
      const [w, h] = glWindow.getSize();
      // vtk.js display coordinates: device pixels with the origin at the bottom-left.
      const x = (cssX * w) / width;
      const y = h - (cssY * h) / height;
      picker.pick([x, y, 0], renderer);
      const actors = picker.getActors();
      if (actors.length === 0) return null;
      const hit = [...surfaces.values()].find((s) => s.actor === actors[0]);
      if (!hit) return null;
      const p = picker.getPickedPositions()[0];
      return { surfaceKey: hit.mesh.key, labelValue: hit.mesh.labelValue, pointLps: [p[0], p[1], p[2]] };
    },
    render() {
      renderWindow.render();
    },
    resize,
    dispose() {
      marker.setEnabled(false);
      marker.delete();
      interactor.unbindEvents();
      picker.delete();
      for (const { actor } of surfaces.values()) actor.delete();
      volumeActor?.delete();
      crosshairActor.delete();
      cutActor.delete();
      cutEdgeActor.delete();
      overlay.delete();
      renderer.delete();
      glWindow.delete();
      renderWindow.delete();
      interactor.delete();
    },
  };
  return scene;
}
