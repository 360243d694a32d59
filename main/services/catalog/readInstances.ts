// Reads the headers of many sources in the warm decode pool: what an import, `medseg info` and a volume build share.
// Kept apart from the importer so that commands which only read load no catalog or label-import code.
import { AppError } from '../../../shared/errors.js';
import type { DicomInstance } from '../dicom/types.js';
import { sharedDecodePool, type DecodePool } from '../dicom/decodePool.js';
import { forEachSource, sourceLabel, type SourceRef } from './sources.js';

export interface ImportProgress {
  filesDone: number;
  filesTotal: number;
  path?: string;
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
}

const DICOMDIR_SOP_CLASS = '1.2.840.10008.1.3.10';

/**
 * Reads the headers of `sources` in the warm worker pool (heap cap and time budget per file, see decodePool), so a
 * hostile file costs one worker and becomes a coded error while the rest of the import goes on. Results keep the
 * order of `sources`.
 */
export async function readInstances(
  sources: SourceRef[],
  opts: ImportOptions & { onError?: (s: SourceRef, err: AppError) => void; onSkip?: (s: SourceRef, reason: string) => void; pool?: DecodePool } = {},
): Promise<DicomInstance[]> {
  const pool = opts.pool ?? sharedDecodePool();
  const found: (DicomInstance | undefined)[] = new Array(sources.length);
  const indexOf = new Map(sources.map((s, i) => [sourceLabel(s), i]));
  let done = 0;
  const tick = (s: SourceRef): void => {
    done++;
    opts.onProgress?.({ filesDone: done, filesTotal: sources.length, path: sourceLabel(s) });
  };
  const accept = (s: SourceRef, inst: DicomInstance): void => {
    if (inst.sopClassUid === DICOMDIR_SOP_CLASS) opts.onSkip?.(s, 'DICOMDIR (its records were followed)');
    else if (!inst.hasPixelData || inst.rows === 0) opts.onSkip?.(s, `DICOM object without an image (${inst.modality || 'unknown modality'})`);
    else found[indexOf.get(sourceLabel(s)) ?? 0] = inst;
  };
  // Enough jobs in flight to keep every worker busy, few enough that queued archive members stay small.
  const maxInFlight = Math.max(4, pool.size * 4);
  const inFlight = new Set<Promise<void>>();
  const submit = async (s: SourceRef, job: () => Promise<DicomInstance>): Promise<void> => {
    if (opts.signal?.aborted) throw new AppError('CANCELLED', 'Import cancelled.');
    const p: Promise<void> = job()
      .then(
        (inst) => accept(s, inst),
        (err: unknown) => {
          const appErr = err instanceof AppError ? err : new AppError('DECODE_FAILED', `${sourceLabel(s)}: ${(err as Error).message}`);
          opts.onError?.(s, appErr);
        },
      )
      .finally(() => {
        inFlight.delete(p);
        tick(s);
      });
    inFlight.add(p);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
  };
  await forEachSource(sources, {
    onFile: (s) => submit(s, () => pool.readHeader(s)),
    onMember: (s, bytes) => submit(s, () => pool.readHeader(s, bytes)),
    onError: (s, err) => {
      opts.onError?.(s, err);
      tick(s);
    },
  });
  await Promise.all(inFlight);
  return found.filter((i): i is DicomInstance => i !== undefined);
}
