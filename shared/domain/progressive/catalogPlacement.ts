// Where each file of a catalogued series goes in its volume, from what the import stored (the series grid and every
// instance's ImagePositionPatient): lets a series open without reading its headers again. Only grids whose slices
// are copied as they are (no tilt shift, no interpolation) are placed this way; the slice grid is planned by the one
// planner (shared/domain/series.ts) from the stored positions, exactly as the import planned it from the headers.
import { planSliceGrid, sortAlongNormal } from '../series.js';
import { norm, sameGrid, sub, type Vec3, type VolumeGeometry } from '../volume.js';

/** One catalogued instance as placement needs it. */
export interface CataloguedPosition {
  /** ImagePositionPatient as stored at import (null when the file had none). */
  positionLps: Vec3 | null;
  frameCount: number;
}

/**
 * A decoded file is the one the catalog placed when its header gives the stored position and the grid's row and
 * column directions within this (mm for positions, direction cosines for directions): values stored as JSON
 * round-trip exactly, so anything larger means the file changed.
 */
export const SAME_PLACEMENT_TOLERANCE = 1e-4;

/**
 * For each slice k of the series grid, the index (into `instances`) of the file whose only frame is that slice; null
 * when the catalog alone cannot place the slices: a multi-frame or position-less instance, a slice count that is
 * not the grid's, or a stack the planner would shift or interpolate (tilt, uneven spacing, gaps). Pure.
 */
export function placeSlicesFromCatalog(grid: VolumeGeometry, instances: readonly CataloguedPosition[]): number[] | null {
  const [nx, ny, nz] = grid.dims;
  if (nz < 2 || instances.length !== nz) return null;
  const positions: Vec3[] = [];
  for (const inst of instances) {
    if (inst.frameCount !== 1 || !inst.positionLps || !inst.positionLps.every(Number.isFinite)) return null;
    positions.push(inst.positionLps);
  }
  const [rowDir, colDir, normal] = grid.directionLps;
  const order = sortAlongNormal(positions, normal);
  let plan: ReturnType<typeof planSliceGrid>;
  try {
    plan = planSliceGrid({
      positionsLps: order.map((i) => positions[i]),
      rowDirLps: rowDir,
      colDirLps: colDir,
      pixelSpacingMm: [grid.spacingMm[0], grid.spacingMm[1]],
      columns: nx,
      rows: ny,
    });
  } catch {
    // duplicate positions: the import's assembly dropped or split them, so the stored instances are not one slice each
    return null;
  }
  const copyOnly =
    !plan.interpolated &&
    plan.planes.length === nz &&
    plan.planes.every((p, k) => p.s0 === k && p.s1 === k && p.w === 0) &&
    plan.colShift.every((x) => x === 0) &&
    plan.rowShift.every((x) => x === 0);
  // The stored grid must be the one these positions plan to (else the catalog row and its instances disagree).
  if (!copyOnly || !sameGrid(plan.geometry, grid, 1e-3)) return null;
  return order;
}

/** Whether a file's header still places its frame where the catalog did: same position, same row/column directions. */
export function samePlacement(
  grid: VolumeGeometry,
  storedPositionLps: Vec3,
  header: { positionLps?: Vec3; orientation?: [Vec3, Vec3]; columns: number; rows: number },
): boolean {
  const { positionLps, orientation } = header;
  if (!positionLps || !orientation || header.columns !== grid.dims[0] || header.rows !== grid.dims[1]) return false;
  const unit = (v: Vec3): Vec3 => {
    const n = norm(v);
    return [v[0] / n, v[1] / n, v[2] / n];
  };
  return (
    norm(sub(positionLps, storedPositionLps)) <= SAME_PLACEMENT_TOLERANCE &&
    norm(sub(unit(orientation[0]), grid.directionLps[0])) <= SAME_PLACEMENT_TOLERANCE &&
    norm(sub(unit(orientation[1]), grid.directionLps[1])) <= SAME_PLACEMENT_TOLERANCE
  );
}
