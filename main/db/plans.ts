// Stored virtual-resection plans (migrations 0007, 0009): saved with the label-map version they were computed from;
// a plane plan keeps its plane and kept side, a region plan its painted mask as deflated run lengths.
import { deflateSync, inflateSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import type { Vec3 } from '../../shared/domain/volume.js';
import type { ResectionResultWire } from '../../shared/ipc/contract-planning.js';

export type StoredCut =
  | { mode: 'plane'; plane: { pointLps: Vec3; normalLps: Vec3 }; keep: 'positive' | 'negative' }
  /** runs: of the region mask in voxel order, zeros first (shared/domain/planning/resectionRegion.ts); voxels: set ones. */
  | { mode: 'region'; runs: Uint32Array; regionVoxels: number };

interface PlanHeader {
  segmentationId: number;
  name: string;
  labelMapVersion: number;
  computationVersion: string;
  organLabel: number;
  result: ResectionResultWire;
}

export type StoredPlan = PlanHeader & StoredCut & { planId: number; createdAt: string };

interface PlanRow {
  id: number;
  segmentation_id: number;
  name: string;
  label_map_version: number;
  computation_version: string;
  organ_label: number;
  mode: 'plane' | 'region';
  plane_json: string | null;
  keep: 'positive' | 'negative' | null;
  region_runs: Buffer | null;
  region_voxels: number | null;
  result_json: string;
  created_at: string;
}

type NewPlan = PlanHeader & StoredCut;

export function savePlan(db: Database, plan: NewPlan): number {
  const runsBlob = plan.mode === 'region' ? deflateSync(Buffer.from(littleEndianU32(plan.runs))) : null;
  const info = db
    .prepare(
      `INSERT INTO planning_plans (segmentation_id, name, label_map_version, computation_version, organ_label, mode, plane_json, keep,
         region_runs, region_voxels, result_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      plan.segmentationId,
      plan.name,
      plan.labelMapVersion,
      plan.computationVersion,
      plan.organLabel,
      plan.mode,
      plan.mode === 'plane' ? JSON.stringify(plan.plane) : null,
      plan.mode === 'plane' ? plan.keep : null,
      runsBlob,
      plan.mode === 'region' ? plan.regionVoxels : null,
      JSON.stringify(plan.result),
      new Date().toISOString(),
    );
  return Number(info.lastInsertRowid);
}

/** Newest first. */
export function listPlans(db: Database, segmentationId: number): StoredPlan[] {
  const rows = db.prepare('SELECT * FROM planning_plans WHERE segmentation_id = ? ORDER BY id DESC').all(segmentationId) as PlanRow[];
  return rows.map(planOf);
}

export function getPlan(db: Database, planId: number): StoredPlan | null {
  const row = db.prepare('SELECT * FROM planning_plans WHERE id = ?').get(planId) as PlanRow | undefined;
  return row ? planOf(row) : null;
}

export function deletePlan(db: Database, planId: number): boolean {
  return db.prepare('DELETE FROM planning_plans WHERE id = ?').run(planId).changes > 0;
}

function planOf(r: PlanRow): StoredPlan {
  const common = {
    planId: r.id,
    segmentationId: r.segmentation_id,
    name: r.name,
    labelMapVersion: r.label_map_version,
    computationVersion: r.computation_version,
    organLabel: r.organ_label,
    result: JSON.parse(r.result_json) as ResectionResultWire,
    createdAt: r.created_at,
  };
  if (r.mode === 'region') {
    const bytes = inflateSync(r.region_runs!);
    const runs = new Uint32Array(bytes.length / 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let n = 0; n < runs.length; n++) runs[n] = view.getUint32(4 * n, true);
    return { ...common, mode: 'region', runs, regionVoxels: r.region_voxels! };
  }
  return { ...common, mode: 'plane', plane: JSON.parse(r.plane_json!) as { pointLps: Vec3; normalLps: Vec3 }, keep: r.keep! };
}

function littleEndianU32(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  for (let n = 0; n < values.length; n++) view.setUint32(4 * n, values[n], true);
  return out;
}
