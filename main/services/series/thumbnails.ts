// Series thumbnails for the study browser: one middle instance decoded (not the whole series), windowed to 8-bit
// and letterboxed into a square keeping the mm aspect ratio.
import type { Database } from 'better-sqlite3';
import { AppError } from '../../../shared/errors.js';
import { defaultWindow, windowBoundsOf } from '../../../shared/domain/windowing.js';
import type { DecodedFrame } from '../dicom/types.js';
import { decodeFrame } from '../dicom/decode.js';
import { sharedDecodePool } from '../dicom/decodePool.js';
import { getSeriesRecord, seriesInstanceSources } from '../../db/catalog.js';
import { readInstances } from '../catalog/readInstances.js';
import { readSourceBytes } from '../catalog/sources.js';

export const THUMBNAIL_PX = 64;

/** Grey 8-bit THUMBNAIL_PX² image of a decoded frame; windowed like the viewer's first view (shared/domain/windowing). */
export function thumbnailFromFrame(frame: DecodedFrame, modality: string, pixelSpacingMm: [number, number] = [1, 1]): Uint8Array {
  const { rows, columns } = frame;
  const grey = new Float32Array(rows * columns);
  if (frame.kind === 'grey') grey.set(frame.values);
  else for (let n = 0; n < grey.length; n++) grey[n] = 0.299 * frame.rgb[3 * n] + 0.587 * frame.rgb[3 * n + 1] + 0.114 * frame.rgb[3 * n + 2];
  // The same window the viewer opens the series with, so the thumbnail looks like the first view of it.
  const { lo, hi } = windowBoundsOf(defaultWindow(modality, grey));
  const widthMm = columns * pixelSpacingMm[0];
  const heightMm = rows * pixelSpacingMm[1];
  const mmPerPx = Math.max(widthMm, heightMm) / THUMBNAIL_PX;
  const out = new Uint8Array(THUMBNAIL_PX * THUMBNAIL_PX);
  const x0 = (THUMBNAIL_PX - widthMm / mmPerPx) / 2;
  const y0 = (THUMBNAIL_PX - heightMm / mmPerPx) / 2;
  for (let y = 0; y < THUMBNAIL_PX; y++) {
    const r = Math.floor(((y + 0.5 - y0) * mmPerPx) / pixelSpacingMm[1]);
    if (r < 0 || r >= rows) continue;
    for (let x = 0; x < THUMBNAIL_PX; x++) {
      const c = Math.floor(((x + 0.5 - x0) * mmPerPx) / pixelSpacingMm[0]);
      if (c < 0 || c >= columns) continue;
      const v = (grey[r * columns + c] - lo) / Math.max(1e-6, hi - lo);
      out[y * THUMBNAIL_PX + x] = Math.round(255 * Math.min(1, Math.max(0, v)));
    }
  }
  return out;
}

export async function seriesThumbnail(db: Database, seriesId: number): Promise<Uint8Array> {
  const record = getSeriesRecord(db, seriesId);
  const sources = seriesInstanceSources(db, seriesId);
  if (sources.length === 0) throw new AppError('NOT_FOUND', `Series ${seriesId} has no instances.`);
  const source = sources[Math.floor(sources.length / 2)];
  if (!source.archiveMember && record.frameCount === sources.length) {
    // One frame per file: read and decode it in a decode worker, keeping the server's event loop free (a J2K frame
    // held it for a second under load, delaying the series being opened) and that worker's codec warm for the opening.
    const { instance, frames } = await sharedDecodePool().openFile(source.path);
    if (!frames[0]) throw new AppError('DECODE_FAILED', `Series ${seriesId}: its middle instance has no frame.`);
    return thumbnailFromFrame(frames[0], record.modality, instance.frames[0]?.pixelSpacingMm);
  }
  const [instance] = await readInstances([source]);
  if (!instance) throw new AppError('DECODE_FAILED', `Series ${seriesId}: its middle instance cannot be read.`);
  const frameIndex = Math.floor(instance.numberOfFrames / 2);
  const frame = await decodeFrame(await readSourceBytes(source), instance, frameIndex);
  return thumbnailFromFrame(frame, record.modality, instance.frames[frameIndex]?.pixelSpacingMm);
}
