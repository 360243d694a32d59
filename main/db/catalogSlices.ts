// The catalogued instances of one series with what the import stored about each (file, position, frames): enough
// to open the series without reading its headers again (main/services/series/catalogOpen.ts).
import type { Database } from 'better-sqlite3';
import type { Vec3 } from '../../shared/domain/volume.js';

export interface CataloguedInstance {
  sopInstanceUid: string;
  path: string;
  archiveMember?: string;
  transferSyntaxUid: string;
  frameCount: number;
  positionLps: Vec3 | null;
}

export function seriesCataloguedInstances(db: Database, seriesId: number): CataloguedInstance[] {
  const rows = db
    .prepare(
      'SELECT sop_instance_uid, file_path, archive_member, transfer_syntax_uid, frame_count, position_lps_json FROM instances WHERE series_id = ? ORDER BY id',
    )
    .all(seriesId) as {
    sop_instance_uid: string;
    file_path: string;
    archive_member: string | null;
    transfer_syntax_uid: string;
    frame_count: number;
    position_lps_json: string | null;
  }[];
  return rows.map((r) => ({
    sopInstanceUid: r.sop_instance_uid,
    path: r.file_path,
    archiveMember: r.archive_member ?? undefined,
    transferSyntaxUid: r.transfer_syntax_uid,
    frameCount: r.frame_count,
    positionLps: r.position_lps_json ? (JSON.parse(r.position_lps_json) as Vec3) : null,
  }));
}
