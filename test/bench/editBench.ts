// Benchmark: mask editing on a 512×512×300 label map — time per stroke commit (median, p99), bytes stored per
// stroke, undo and re-open times, RSS after 1,000 strokes; reference: a full-copy undo step (Slicer-style).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { openDatabase, type Database } from '../../main/db/database.js';
import { saveSegmentation } from '../../main/db/segmentations.js';
import { DEFAULT_SNAPSHOT_EVERY, openEditSession } from '../../main/services/editing/session.js';
import type { EditStroke } from '../../shared/domain/editing/strokes.js';
import { identityDirection, type Vec3, type VolumeGeometry } from '../../shared/domain/volume.js';
import { prng } from '../helpers/editFixture.js';

const DIMS: Vec3 = [512, 512, 300];
const SPACING_MM: Vec3 = [0.7, 0.7, 1.0];
const STROKES = 1000;
const SPHERES = 100;
const BRUSH_RADIUS_MM = 10; // a 20 mm brush (diameter)

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

function createSegmentation(db: Database): number {
  const geometry: VolumeGeometry = {
    dims: DIMS,
    spacingMm: SPACING_MM,
    originLps: [0, 0, 0],
    directionLps: identityDirection(),
  };
  db.prepare("INSERT INTO patients (patient_key, patient_id, name) VALUES ('bench', 'bench', 'Bench^Edit')").run();
  db.prepare("INSERT INTO studies (patient_id, study_uid) VALUES (1, '1.2.3')").run();
  db.prepare(
    `INSERT INTO series (study_id, series_uid, stack_key, modality, dims_json, spacing_mm_json, origin_lps_json, direction_lps_json,
       geometry_status, geometry_json, transfer_syntaxes_json, frame_count, imported_at)
     VALUES (1, '1.2.3.4', 'a', 'CT', ?, ?, ?, ?, 'ok', '{}', '[]', ?, ?)`,
  ).run(JSON.stringify(DIMS), JSON.stringify(SPACING_MM), '[0,0,0]', JSON.stringify(geometry.directionLps), DIMS[2], new Date().toISOString());
  // An "AI liver": an ellipsoid of label 1 filling a good part of the abdomen.
  const labels = new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]);
  for (let k = 0; k < DIMS[2]; k++) {
    for (let j = 0; j < DIMS[1]; j++) {
      for (let i = 0; i < DIMS[0]; i++) {
        const x = (i - 200) / 120;
        const y = (j - 256) / 100;
        const z = (k - 150) / 90;
        if (x * x + y * y + z * z <= 1) labels[i + DIMS[0] * (j + DIMS[1] * k)] = 1;
      }
    }
  }
  const table = [
    { value: 1, name: 'liver', colorRgb: [200, 80, 60] as [number, number, number], kind: 'organ' as const },
    { value: 2, name: 'lesion', colorRgb: [250, 250, 0] as [number, number, number], kind: 'lesion' as const },
  ];
  return saveSegmentation(db, { seriesId: 1, source: 'model', name: 'bench', labelMap: { ...geometry, labels, table } });
}

function dragStroke(random: () => number, n: number): EditStroke {
  // A mouse drag of 5 samples over ~15 mm on an axial slice, painting or erasing.
  const start: Vec3 = [40 + random() * 432, 40 + random() * 432, Math.floor(random() * DIMS[2])];
  const angle = random() * 2 * Math.PI;
  const pathIjk: Vec3[] = Array.from({ length: 5 }, (_, s) => [start[0] + Math.cos(angle) * s * 5, start[1] + Math.sin(angle) * s * 5, start[2]]);
  const erase = n % 5 === 4;
  return { kind: 'brush', mode: erase ? 'erase' : 'paint', label: erase ? 0 : 1 + (n % 2), pathIjk, radiusMm: BRUSH_RADIUS_MM, shape: 'disc', plane: 'axial' };
}

export async function runEditBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'medseg-edit-bench-'));
  const file = join(dir, 'bench.db');
  try {
    const db = openDatabase(file);
    const segmentationId = createSegmentation(db);
    let t0 = performance.now();
    const session = openEditSession(db, segmentationId);
    const openMs = performance.now() - t0;
    const memBefore = await settledMemory();
    const sizeBefore = statSync(file).size + safeSize(`${file}-wal`);

    const random = prng(42);
    const ms: number[] = [];
    const bytes: number[] = [];
    const voxels: number[] = [];
    const snapshotCopyMs: number[] = [];
    const snapshotTotalMs: number[] = [];
    for (let n = 0; n < STROKES; n++) {
      const stroke = dragStroke(random, n);
      t0 = performance.now();
      const r = session.applyStroke(stroke);
      ms.push(performance.now() - t0);
      bytes.push(r.bytesStored);
      voxels.push(r.changedVoxels);
      if (r.version % DEFAULT_SNAPSHOT_EVERY === 0 && r.bytesStored > 0) {
        // The user pauses: the idle snapshot runs (copy on this thread, deflate on the pool, one transaction).
        t0 = performance.now();
        const flushed = session.flush();
        snapshotCopyMs.push(performance.now() - t0);
        await flushed;
        snapshotTotalMs.push(performance.now() - t0);
      }
    }
    const journaled = bytes.filter((b) => b > 0).length;
    const memAfter = await settledMemory();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const sizeAfter = statSync(file).size + safeSize(`${file}-wal`);

    const sphereMs: number[] = [];
    const sphereBytes: number[] = [];
    for (let n = 0; n < SPHERES; n++) {
      const at: Vec3 = [40 + random() * 432, 40 + random() * 432, 20 + random() * 260];
      t0 = performance.now();
      const r = session.applyStroke({ kind: 'brush', mode: 'paint', label: 2, pathIjk: [at], radiusMm: BRUSH_RADIUS_MM, shape: 'sphere' });
      sphereMs.push(performance.now() - t0);
      sphereBytes.push(r.bytesStored);
    }
    await session.flush();

    const undoMs: number[] = [];
    for (let n = 0; n < 100; n++) {
      t0 = performance.now();
      session.undo();
      undoMs.push(performance.now() - t0);
    }
    db.close();
    t0 = performance.now();
    const db2 = openDatabase(file);
    openEditSession(db2, segmentationId);
    const reopenMs = performance.now() - t0;
    db2.close();

    // Reference: one full-copy undo step of the same map (what a per-step segment copy costs).
    const labels = new Uint8Array(DIMS[0] * DIMS[1] * DIMS[2]);
    t0 = performance.now();
    const fullCopyBytes = deflateSync(labels.fill(1, 0, labels.length / 4), { level: 1 }).byteLength;
    const fullCopyMs = performance.now() - t0;

    const median = (xs: number[]): number => quantile(xs, 0.5);
    console.log(`\n== mask editing: ${DIMS.join('×')} uint8 map (${mb(labels.byteLength)} MB), spacing ${SPACING_MM.join('×')} mm, 20 mm brush ==`);
    console.log(['measure', 'medseg', 'full-copy undo step (reference)', 'ratio'].join(' | '));
    console.log(
      [
        `stroke commit, ${STROKES} axial disc drags (median / p99 / max ms)`,
        `${median(ms).toFixed(1)} / ${quantile(ms, 0.99).toFixed(1)} / ${Math.max(...ms).toFixed(1)}`,
        `${fullCopyMs.toFixed(0)} (deflate only)`,
        `${(median(ms) / fullCopyMs).toFixed(3)}×`,
      ].join(' | '),
    );
    console.log(
      [
        `idle snapshot every ${DEFAULT_SNAPSHOT_EVERY} journaled strokes (${snapshotTotalMs.length}×, ${journaled} journaled): main-thread copy / total ms (median)`,
        `${median(snapshotCopyMs).toFixed(0)} / ${median(snapshotTotalMs).toFixed(0)}`,
        '',
        '',
      ].join(' | '),
    );
    console.log(
      [
        `bytes stored per stroke (median delta blob; changed voxels median ${median(voxels)})`,
        `${median(bytes)}`,
        `${fullCopyBytes}`,
        `${(median(bytes) / fullCopyBytes).toFixed(5)}×`,
      ].join(' | '),
    );
    console.log(
      [
        `database growth per stroke incl. rows, params and snapshots`,
        `${((sizeAfter - sizeBefore) / STROKES / 1024).toFixed(1)} KiB`,
        `${(fullCopyBytes / 1024).toFixed(1)} KiB`,
        `${((sizeAfter - sizeBefore) / STROKES / fullCopyBytes).toFixed(3)}×`,
      ].join(' | '),
    );
    console.log(
      [
        `3D sphere stroke, ${SPHERES} strokes (median / p99 ms; median bytes)`,
        `${median(sphereMs).toFixed(1)} / ${quantile(sphereMs, 0.99).toFixed(1)}; ${median(sphereBytes)} B`,
        '',
        '',
      ].join(' | '),
    );
    console.log([`undo (median / p99 ms)`, `${median(undoMs).toFixed(1)} / ${quantile(undoMs, 0.99).toFixed(1)}`, '', ''].join(' | '));
    console.log([`open session: fresh / after ${STROKES + SPHERES} strokes (ms)`, `${openMs.toFixed(0)} / ${reopenMs.toFixed(0)}`, '', ''].join(' | '));
    console.log(
      [
        `memory after ${STROKES} strokes: RSS (growth since open) / JS heap + buffers (the map alone is ${mb(labels.byteLength)} MB)`,
        `${mb(memAfter.rss)} MB (+${mb(memAfter.rss - memBefore.rss)} MB) / ${mb(memAfter.heapUsed + memAfter.arrayBuffers)} MB`,
        `~${mb(STROKES * labels.byteLength)} MB if each step copied the map`,
        '',
      ].join(' | '),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Memory once garbage is gone: a freed 75 MB buffer (the stored map's inflate, a snapshot copy) is released only
 * after a collection and a turn of the loop. Without --expose-gc the figures include such garbage.
 */
async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  for (let n = 0; n < 4; n++) {
    global.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return process.memoryUsage();
}

function safeSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
