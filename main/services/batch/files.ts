// Whole-file writes that a kill -9 cannot tear: write a temporary file beside the target, flush it, rename it over.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The prefix of temporary files: readers skip names that start with it. */
export const TEMP_PREFIX = '.partial-';

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  writeFileAtomicSync(file, text);
}

export function writeFileAtomicSync(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `${TEMP_PREFIX}${process.pid}-${path.basename(file)}`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
