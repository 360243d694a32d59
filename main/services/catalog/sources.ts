// Turns what a user points at (files, folders, .zip archives, DICOMDIR) into a flat list of readable sources.
// Only regular files are ever opened (devices, FIFOs and sockets are refused), and every read is capped.
import { promises as fs } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import type yauzl from 'yauzl';
import type dicomParser from 'dicom-parser';
import { AppError } from '../../../shared/errors.js';
import { gunzipCapped, readDicomCandidate } from '../dicom/fileRead.js';
import { MAX_FILE_BYTES, maxExpandedBytes } from '../dicom/limits.js';
import { parseDataSet } from '../dicom/parse.js';

/** One candidate object: a plain file, or a member of a zip archive. */
export interface SourceRef {
  path: string;
  archiveMember?: string;
}

export interface ExpandResult {
  sources: SourceRef[];
  /** Inputs that could not be listed at all (missing path, unreadable archive). */
  errors: { path: string; code: 'NOT_FOUND' | 'IO_ERROR' | 'INVALID_INPUT'; message: string }[];
  /** DICOMDIR files found: their records were used to locate files. */
  dicomdirs: string[];
}

export function sourceLabel(s: SourceRef): string {
  return s.archiveMember ? `${s.path}!${s.archiveMember}` : s.path;
}

/** Devices, FIFOs and sockets are never read: /dev/zero never ends, an unopened FIFO blocks the reader forever. */
function specialFileError(path: string, st: { isFIFO(): boolean; isSocket(): boolean }): ExpandResult['errors'][number] {
  const kind = st.isFIFO() ? 'a pipe (FIFO)' : st.isSocket() ? 'a socket' : 'a device';
  return { path, code: 'INVALID_INPUT', message: `${path} is ${kind}, not a regular file; only regular files are read.` };
}

/** Why a zip member is not read into memory: larger than one file may be, or compressed like a bomb. */
function zipMemberRefusal(entry: yauzl.Entry): string | undefined {
  if (entry.uncompressedSize > MAX_FILE_BYTES) return `it expands to ${entry.uncompressedSize} bytes, more than the ${MAX_FILE_BYTES} one file may have`;
  const cap = maxExpandedBytes(entry.compressedSize);
  if (entry.uncompressedSize > cap) {
    return `${entry.compressedSize} compressed bytes expand to ${entry.uncompressedSize}, beyond the ratio allowed (refused as a decompression bomb)`;
  }
  return undefined;
}

export async function expandInputs(inputs: string[]): Promise<ExpandResult> {
  const result: ExpandResult = { sources: [], errors: [], dicomdirs: [] };
  const seen = new Set<string>();
  const add = (s: SourceRef): void => {
    const key = sourceLabel(s);
    if (!seen.has(key)) {
      seen.add(key);
      result.sources.push(s);
    }
  };
  for (const input of inputs) {
    const abs = resolve(input);
    let stat;
    try {
      stat = await fs.stat(abs);
    } catch {
      result.errors.push({ path: abs, code: 'NOT_FOUND', message: `${abs} does not exist or cannot be read.` });
      continue;
    }
    if (stat.isDirectory()) {
      await walk(abs, add, result, new Set());
    } else if (!stat.isFile()) {
      result.errors.push(specialFileError(abs, stat));
    } else if (isZipName(abs)) {
      await listZip(abs, add, result);
    } else if (isDicomdirName(abs)) {
      await readDicomdir(abs, add, result);
    } else {
      add({ path: abs });
    }
  }
  return result;
}

// "DICOMDIR" on media; variants such as "DICOMDIR-bigEnd" are followed the same way.
function isDicomdirName(p: string): boolean {
  return /^DICOMDIR/i.test(basename(p));
}

function isZipName(p: string): boolean {
  return extname(p).toLowerCase() === '.zip';
}

async function walk(dir: string, add: (s: SourceRef) => void, result: ExpandResult, visited: Set<string>): Promise<void> {
  let real: string;
  try {
    real = await fs.realpath(dir);
  } catch {
    return;
  }
  if (visited.has(real)) return; // symlink loop
  visited.add(real);
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    result.errors.push({ path: dir, code: 'IO_ERROR', message: `Cannot list folder ${dir}: ${(err as Error).message}` });
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = join(dir, e.name);
    // A symlink is judged by what it points at.
    const target = e.isSymbolicLink() ? await fs.stat(p).catch(() => undefined) : e;
    if (!target) {
      result.errors.push({ path: p, code: 'NOT_FOUND', message: `${p} is a symbolic link to something that does not exist.` });
      continue;
    }
    if (target.isDirectory()) {
      await walk(p, add, result, visited);
    } else if (target.isFile()) {
      if (isZipName(p)) await listZip(p, add, result);
      else if (isDicomdirName(p)) await readDicomdir(p, add, result);
      else add({ path: p });
    } else {
      result.errors.push(specialFileError(p, target));
    }
  }
}

/**
 * A DICOMDIR lists its files as ReferencedFileID (0004,1500) components relative to its own folder.
 * Media often carry upper-case 8.3 names, so a missing file is also looked up case-insensitively.
 */
async function readDicomdir(file: string, add: (s: SourceRef) => void, result: ExpandResult): Promise<void> {
  let ds: dicomParser.DataSet;
  try {
    // The capped reader and the guarded parser: a DICOMDIR is as untrusted as any other file.
    ds = parseDataSet(await readDicomCandidate(file), file).dataSet;
  } catch {
    // Unreadable as a directory: hand it on as a plain file, so the reader reports what is wrong with it.
    add({ path: file });
    return;
  }
  result.dicomdirs.push(file);
  const records = ds.elements.x00041220?.items ?? [];
  const base = dirname(file);
  for (const item of records) {
    const id = item.dataSet?.string('x00041500');
    if (!id) continue;
    const parts = id
      .split('\\')
      .map((s) => s.trim())
      .filter(Boolean);
    const candidate = await resolveCaseInsensitive(base, parts);
    if (candidate) add({ path: candidate });
    else result.errors.push({ path: join(base, ...parts), code: 'NOT_FOUND', message: `DICOMDIR ${file} lists ${parts.join(sep)}, which is missing.` });
  }
}

async function resolveCaseInsensitive(base: string, parts: string[]): Promise<string | undefined> {
  let cur = base;
  for (const part of parts) {
    const direct = join(cur, part);
    try {
      await fs.access(direct);
      cur = direct;
      continue;
    } catch {
      /* try a case-insensitive match */
    }
    let names: string[];
    try {
      names = await fs.readdir(cur);
    } catch {
      return undefined;
    }
    const hit = names.find((n) => n.toUpperCase() === part.toUpperCase());
    if (!hit) return undefined;
    cur = join(cur, hit);
  }
  return cur;
}

async function openZip(path: string): Promise<yauzl.ZipFile> {
  // Loaded on the first archive: most runs read plain files.
  const { open } = (await import('yauzl')).default;
  return new Promise((res, rej) => open(path, { lazyEntries: true, autoClose: false }, (err, zip) => (err || !zip ? rej(err) : res(zip))));
}

async function listZip(path: string, add: (s: SourceRef) => void, result: ExpandResult): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch (err) {
    result.errors.push({ path, code: 'IO_ERROR', message: `${path} is not a readable zip archive: ${(err as Error).message}` });
    return;
  }
  try {
    await new Promise<void>((res, rej) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/') && !entry.fileName.startsWith('__MACOSX/')) add({ path, archiveMember: entry.fileName });
        zip.readEntry();
      });
      zip.on('end', () => res());
      zip.on('error', rej);
      zip.readEntry();
    });
  } catch (err) {
    result.errors.push({ path, code: 'IO_ERROR', message: `Zip archive ${path} is damaged: ${(err as Error).message}` });
  } finally {
    zip.close();
  }
}

export interface SourceVisitor {
  /** A plain file: not read here (a header worker reads it, capped). */
  onFile(s: SourceRef): Promise<void> | void;
  /** A zip member's bytes as stored in the archive (gzip not yet expanded), read under the member caps. */
  onMember(s: SourceRef, bytes: Buffer): Promise<void> | void;
  onError(s: SourceRef, err: AppError): void;
}

/**
 * Visits every source, reading each zip archive once (members streamed in archive order). Errors per source go to
 * onError; nothing throws for a single bad source.
 */
export async function forEachSource(sources: SourceRef[], visit: SourceVisitor): Promise<void> {
  const byArchive = new Map<string, Set<string>>();
  for (const s of sources) {
    if (s.archiveMember) {
      const set = byArchive.get(s.path) ?? new Set<string>();
      set.add(s.archiveMember);
      byArchive.set(s.path, set);
    }
  }
  const archivesDone = new Set<string>();
  for (const s of sources) {
    if (!s.archiveMember) {
      await visit.onFile(s);
    } else if (!archivesDone.has(s.path)) {
      archivesDone.add(s.path);
      const wanted = byArchive.get(s.path)!;
      const pending = new Set(wanted);
      try {
        await streamZipMembers(
          s.path,
          wanted,
          async (member, bytes) => {
            pending.delete(member);
            await visit.onMember({ path: s.path, archiveMember: member }, bytes);
          },
          (member, err) => {
            pending.delete(member);
            visit.onError({ path: s.path, archiveMember: member }, err);
          },
        );
      } catch (err) {
        for (const member of pending) {
          visit.onError({ path: s.path, archiveMember: member }, err instanceof AppError ? err : new AppError('IO_ERROR', String(err)));
        }
        continue;
      }
      for (const member of pending) visit.onError({ path: s.path, archiveMember: member }, new AppError('NOT_FOUND', `${member} is not in ${s.path}.`));
    }
  }
}

/** Calls onBytes with the (capped, gzip-expanded) bytes of every source; see forEachSource. */
export async function forEachSourceBytes(
  sources: SourceRef[],
  onBytes: (s: SourceRef, bytes: Buffer) => Promise<void> | void,
  onError: (s: SourceRef, err: AppError) => void,
): Promise<void> {
  const asAppError = (err: unknown): AppError => (err instanceof AppError ? err : new AppError('IO_ERROR', String(err)));
  await forEachSource(sources, {
    async onFile(s) {
      let bytes: Buffer;
      try {
        bytes = await readSourceBytes(s);
      } catch (err) {
        return onError(s, asAppError(err));
      }
      await onBytes(s, bytes);
    },
    async onMember(s, raw) {
      let bytes: Buffer;
      try {
        bytes = await maybeGunzip(raw, s);
      } catch (err) {
        return onError(s, asAppError(err));
      }
      await onBytes(s, bytes);
    },
    onError,
  });
}

async function streamZipMembers(
  path: string,
  wanted: Set<string>,
  onMember: (member: string, bytes: Buffer) => Promise<void>,
  onRefused: (member: string, err: AppError) => void,
): Promise<void> {
  const zip = await openZip(path).catch((err: Error) => {
    throw new AppError('IO_ERROR', `Cannot open archive ${path}: ${err.message}`);
  });
  try {
    await new Promise<void>((res, rej) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!wanted.has(entry.fileName)) return zip.readEntry();
        const refusal = zipMemberRefusal(entry);
        if (refusal) {
          onRefused(entry.fileName, new AppError('RESOURCE_LIMIT', `${path}!${entry.fileName} is not read: ${refusal}.`));
          return zip.readEntry();
        }
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return rej(new AppError('IO_ERROR', `Cannot read ${path}!${entry.fileName}: ${err?.message}`));
          const chunks: Buffer[] = [];
          // yauzl also checks the stream against the declared size; this is the belt to its braces.
          let total = 0;
          stream.on('data', (c: Buffer) => {
            total += c.length;
            if (total > entry.uncompressedSize) stream.destroy(new Error('the member is longer than its declared size'));
            else chunks.push(c);
          });
          stream.on('end', () => {
            onMember(entry.fileName, Buffer.concat(chunks)).then(() => zip.readEntry(), rej);
          });
          stream.on('error', (e) => rej(new AppError('IO_ERROR', `Cannot read ${path}!${entry.fileName}: ${e.message}`)));
        });
      });
      zip.on('end', () => res());
      zip.on('error', (e: Error) => rej(new AppError('IO_ERROR', `Archive ${path} is damaged: ${e.message}`)));
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

/** A gzip-compressed DICOM file (e.g. "image.dcm.gz") is read through transparently, under the expansion caps. */
export function maybeGunzip(bytes: Buffer, s: SourceRef): Promise<Buffer> {
  return gunzipCapped(bytes, sourceLabel(s));
}

/**
 * Reads the bytes of one source (a file, or a zip member decompressed in memory): regular files only, capped,
 * gzip expanded under the caps; a file that cannot be DICOM is NOT_DICOM from its first bytes.
 */
export async function readSourceBytes(s: SourceRef): Promise<Buffer> {
  if (!s.archiveMember) return readDicomCandidate(s.path);
  const zip = await openZip(s.path).catch((err: Error) => {
    throw new AppError('IO_ERROR', `Cannot open archive ${s.path}: ${err.message}`);
  });
  try {
    return await new Promise<Buffer>((res, rej) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== s.archiveMember) return zip.readEntry();
        const refusal = zipMemberRefusal(entry);
        if (refusal) return rej(new AppError('RESOURCE_LIMIT', `${sourceLabel(s)} is not read: ${refusal}.`));
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return rej(new AppError('IO_ERROR', `Cannot read ${sourceLabel(s)}: ${err?.message}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            maybeGunzip(Buffer.concat(chunks), s).then(res, rej);
          });
          stream.on('error', (e) => rej(new AppError('IO_ERROR', `Cannot read ${sourceLabel(s)}: ${e.message}`)));
        });
      });
      zip.on('end', () => rej(new AppError('NOT_FOUND', `${s.archiveMember} is no longer in ${s.path}.`)));
      zip.on('error', (e: Error) => rej(new AppError('IO_ERROR', `Archive ${s.path} is damaged: ${e.message}`)));
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}
