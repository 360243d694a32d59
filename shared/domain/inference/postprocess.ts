// Post-processing of a predicted label map: keep only the largest 6-connected component of chosen labels (an organ
// is one piece; scattered false positives elsewhere become background), and drop lesion pieces outside their organ.
import { connectedComponents } from '../measure/components.js';
import { forEachNeighbour, neighbourOffsets } from '../grid/floodFill.js';
import type { Vec3 } from '../volume.js';

/** Keeps the largest 6-connected piece of each label in `values`, in place. Returns the voxels removed per label value. */
export function keepLargestComponents(labels: Uint8Array, dims: Vec3, values: number[]): Map<number, number> {
  const removed = new Map<number, number>(values.map((v) => [v, 0]));
  if (values.length === 0) return removed;
  const { order, components } = connectedComponents(labels, dims, new Set(values), 6);
  const best = new Map<number, (typeof components)[number]>();
  for (const c of components) {
    const b = best.get(c.label);
    // components come in scan order of their first voxel and a tie keeps the first: the result depends on the labels only
    if (b === undefined || c.voxels > b.voxels) best.set(c.label, c);
  }
  for (const c of components) {
    if (best.get(c.label) === c) continue;
    for (let t = c.start; t < c.start + c.voxels; t++) labels[order[t]] = 0;
    removed.set(c.label, (removed.get(c.label) ?? 0) + c.voxels);
  }
  return removed;
}

/**
 * Removes the 6-connected pieces of label `value` whose face-neighbour shell (voxels just outside the piece) is less
 * than `minFraction` label `parent`: e.g. a "liver tumour" lying mostly outside the liver is fluid next to it.
 * Returns the voxels removed.
 */
export function keepEnclosedComponents(labels: Uint8Array, dims: Vec3, value: number, parent: number, minFraction: number): number {
  const { ids, order, components } = connectedComponents(labels, dims, new Set([value]), 6);
  const faces = neighbourOffsets(6);
  // last component id that counted this shell voxel, so a voxel touching a piece on several faces counts once
  const shellMark = new Int32Array(labels.length);
  let id = 0;
  let shell = 0;
  let shellParent = 0;
  const countShell = (u: number): void => {
    if (ids[u] === id || shellMark[u] === id) return;
    shellMark[u] = id;
    shell++;
    if (labels[u] === parent) shellParent++;
  };
  const drop: typeof components = [];
  for (const c of components) {
    id = c.id;
    shell = 0;
    shellParent = 0;
    for (let t = c.start; t < c.start + c.voxels; t++) forEachNeighbour(dims, order[t], faces, countShell);
    if (shell === 0 || shellParent / shell < minFraction) drop.push(c);
  }
  let removed = 0;
  for (const c of drop) {
    for (let t = c.start; t < c.start + c.voxels; t++) labels[order[t]] = 0;
    removed += c.voxels;
  }
  return removed;
}
