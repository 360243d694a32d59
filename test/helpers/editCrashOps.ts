// The deterministic stroke sequence shared by the crash-test child (which commits it) and the test (which
// replays it as the reference): stroke n depends only on n.
import type { EditStroke, VoxelPlane } from '../../shared/domain/editing/strokes.js';
import type { Vec3 } from '../../shared/domain/volume.js';
import { prng } from './editFixture.js';

export const CRASH_DIMS: Vec3 = [40, 40, 20];
export const CRASH_SPACING: Vec3 = [1, 1, 2];
export const CRASH_SNAPSHOT_EVERY = 7;
/** Strokes n with changes and n % UNDO_EVERY === 0 are undone and redone at once (crash inside undo/redo too). */
export const CRASH_UNDO_EVERY = 4;

export function crashBaseLabels(): Uint8Array {
  const [nx, ny, nz] = CRASH_DIMS;
  const labels = new Uint8Array(nx * ny * nz);
  for (let k = 4; k < 14; k++) for (let j = 8; j < 30; j++) for (let i = 6; i < 26; i++) labels[i + nx * (j + ny * k)] = 1;
  return labels;
}

export function crashStroke(n: number): EditStroke {
  const r = prng(n * 7919 + 13);
  const [nx, ny, nz] = CRASH_DIMS;
  const at: Vec3 = [r() * (nx - 1), r() * (ny - 1), r() * (nz - 1)];
  const label = 1 + Math.floor(r() * 3);
  const roll = r();
  if (roll < 0.55) {
    const mode = r() < 0.7 ? 'paint' : 'erase';
    return {
      kind: 'brush',
      mode,
      label: mode === 'erase' ? 0 : label,
      pathIjk: [at, [at[0] + 4 * r(), at[1] + 4 * r(), at[2]]],
      radiusMm: 2 + 4 * r(),
      shape: 'sphere',
    };
  }
  if (roll < 0.9) {
    const plane = (['axial', 'coronal', 'sagittal'] as VoxelPlane[])[Math.floor(r() * 3)];
    return { kind: 'brush', mode: 'paint', label, pathIjk: [at], radiusMm: 3 + 5 * r(), shape: 'disc', plane };
  }
  return { kind: 'fill', mode: 'paint', label, plane: 'axial', seedIjk: [Math.floor(at[0]), Math.floor(at[1]), Math.floor(at[2])] };
}
