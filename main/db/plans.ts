// Stored virtual-resection plans (migration 0007): saved with the label-map version they were computed from.
import type { Database } from 'better-sqlite3';
import type { Vec3 } from '../../shared/domain/volume.js';
import type { ResectionResultWire } from '../../shared/ipc/contract-planning.js';

export interface StoredPlan {
  planId: number;
  segmentationId: number;
  name: string;
  labelMapVersion: number;
  computationVersion: string;
  organLabel: number;
  plane: { pointLps: Vec3; normalLps: Vec3 };
  keep: 'positive' | 'negative';
  result: ResectionResultWire;
  createdAt: string;
}

interface PlanRow {
  id: number;
  segmentation_id: number;
  name: string;
  label_map_version: number;
  computation_version: string;
  organ_label: number;
  plane_json: string;
  keep: 'positive' | 'negative';
  result_json: string;
  created_at: string;
}

export function savePlan(db: Database, plan: Omit<StoredPlan, 'planId' | 'createdAt'>): number {
  const info = db
    .prepare(
      `INSERT INTO planning_plans (segmentation_id, name, label_map_version, computation_version, organ_label, plane_json, keep, result_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      plan.segmentationId,
      plan.name,
      plan.labelMapVersion,
      plan.computationVersion,
      plan.organLabel,
      JSON.stringify(plan.plane),
      plan.keep,
      JSON.stringify(plan.result),
      new Date().toISOString(),
    );
  return Number(info.lastInsertRowid);
}

/** Newest first. */
export function listPlans(db: Database, segmentationId: number): StoredPlan[] {
  const rows = db.prepare('SELECT * FROM planning_plans WHERE segmentation_id = ? ORDER BY id DESC').all(segmentationId) as PlanRow[];
  return rows.map((r) => ({
    planId: r.id,
    segmentationId: r.segmentation_id,
    name: r.name,
    labelMapVersion: r.label_map_version,
    computationVersion: r.computation_version,
    organLabel: r.organ_label,
    plane: JSON.parse(r.plane_json) as StoredPlan['plane'],
    keep: r.keep,
    result: JSON.parse(r.result_json) as ResectionResultWire,
    createdAt: r.created_at,
  }));
}

export function deletePlan(db: Database, planId: number): boolean {
  return db.prepare('DELETE FROM planning_plans WHERE id = ?').run(planId).changes > 0;
}
