// Files are written whole or not at all: into a temp file beside the target, flushed, then renamed over it.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../../shared/errors.js';

export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<number> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new AppError('IO_ERROR', `${path}: cannot write the export (${(err as Error).message}).`);
  }
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}
