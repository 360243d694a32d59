// C-STORE of DICOM files to one user-configured node (dcmjs-dimse as the SCU). Only ever called on an explicit user
// action (`medseg send`): this and the DICOM node the user names are the application's only network use.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { AppError } from '../../../shared/errors.js';
import { listFiles } from './deidentify.js';
import { findElement, readPart10, textOf } from './dicomDataset.js';

export interface DicomNode {
  aet: string;
  host: string;
  port: number;
}

export interface SendResult {
  node: DicomNode;
  callingAet: string;
  sent: { path: string; sopInstanceUid: string }[];
  failed: { path: string; status: string }[];
  skipped: { path: string; reason: string }[];
}

const AE_TITLE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/; // PS3.5 AE: 16 characters, no backslash or control characters

/** Parses `AET@HOST:PORT` (an IPv6 host in brackets). */
export function parseDicomNode(text: string): DicomNode {
  const m = /^([^@]+)@(\[[0-9a-fA-F:]+\]|[^:@\s]+):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !AE_TITLE.test(m[1].trim()) || !(port >= 1 && port <= 65535))
    throw new AppError('INVALID_INPUT', `'${text}' is not a DICOM node: expected AET@HOST:PORT (AE title up to 16 characters, port 1-65535).`);
  return { aet: m[1].trim(), host: m[2].replace(/^\[|\]$/g, ''), port };
}

interface DimseResponse {
  getStatus(): number;
}
interface DimseRequest {
  on(event: 'response', cb: (r: DimseResponse) => void): void;
}
interface DimseClient {
  addRequest(r: DimseRequest): void;
  abort(): void;
  on(event: string, cb: (arg?: unknown) => void): void;
  send(host: string, port: number, calling: string, called: string, opts?: Record<string, unknown>): void;
}
interface DimseModule {
  Client: new () => DimseClient;
  Dataset: { fromFile(path: string): unknown };
  log: { setLevel(level: string): void };
  requests: { CStoreRequest: new (dataset: unknown) => DimseRequest };
  constants: { Status: { Success: number } };
}

/** Sends every DICOM file under path to the node in one association; fails as a whole when the node is unreachable. */
export async function sendToDicomNode(path: string | readonly string[], node: DicomNode, callingAet = 'MEDSEG', timeoutMs = 30_000): Promise<SendResult> {
  if (!AE_TITLE.test(callingAet)) throw new AppError('INVALID_INPUT', `Calling AE title '${callingAet}' is not 1-16 printable characters.`);
  const dimse = createRequire(import.meta.url)('dcmjs-dimse') as DimseModule;
  // Their loggers write to stdout/stderr (progress, VR guesses): only errors, and those reach the user as AppErrors.
  dimse.log.setLevel('silent');
  (createRequire(import.meta.url)('dcmjs') as { log?: { setLevel(level: string): void } }).log?.setLevel('error');
  const client = new dimse.Client();
  const result: SendResult = { node, callingAet, sent: [], failed: [], skipped: [] };
  const files = typeof path === 'string' ? await listFiles(path) : [...path];
  for (const file of files) {
    let sopInstanceUid: string;
    try {
      const parsed = readPart10(await readFile(file));
      sopInstanceUid = textOf(findElement(parsed.dataset, 0x00080018));
      if (sopInstanceUid === '' || textOf(findElement(parsed.dataset, 0x00080016)) === '')
        throw new AppError('INVALID_INPUT', 'no SOP Class or SOP Instance UID: a receiver cannot store it');
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      result.skipped.push({ path: file, reason: `${err.code}: ${err.message}` });
      continue;
    }
    // dcmjs-dimse reads the Part 10 file itself (meta header included) and proposes its transfer syntax.
    const dataset = dimse.Dataset.fromFile(file);
    if (!dataset) {
      result.skipped.push({ path: file, reason: 'NOT_DICOM: dcmjs-dimse cannot read it' });
      continue;
    }
    const request = new dimse.requests.CStoreRequest(dataset);
    request.on('response', (r) => {
      const status = r.getStatus();
      if (status === dimse.constants.Status.Success) result.sent.push({ path: file, sopInstanceUid });
      else result.failed.push({ path: file, status: `0x${status.toString(16).padStart(4, '0')}` });
    });
    client.addRequest(request);
  }
  const requested = files.length - result.skipped.length;
  if (requested === 0) throw new AppError('NOT_DICOM', `${typeof path === 'string' ? path : `${path.length} file(s)`}: no DICOM Part 10 file to send.`);
  await new Promise<void>((resolve, reject) => {
    let failure: string | null = null;
    const timer = setTimeout(() => {
      failure ??= `no answer from ${node.aet}@${node.host}:${node.port} within ${timeoutMs / 1000} s`;
      client.abort();
      reject(new AppError('SEND_FAILED', failure));
    }, timeoutMs);
    client.on('networkError', (e) => {
      failure ??= `network error talking to ${node.host}:${node.port}: ${(e as Error)?.message ?? String(e)}`;
    });
    client.on('associationRejected', (r) => {
      failure ??= `${node.aet}@${node.host}:${node.port} rejected the association (${JSON.stringify(r)})`;
    });
    client.on('closed', () => {
      clearTimeout(timer);
      if (failure) reject(new AppError('SEND_FAILED', failure));
      else resolve();
    });
    client.send(node.host, node.port, callingAet, node.aet, { connectTimeout: timeoutMs, associationTimeout: timeoutMs, pduTimeout: timeoutMs });
  });
  if (result.sent.length + result.failed.length < requested)
    throw new AppError('SEND_FAILED', `${node.aet}@${node.host}:${node.port}: the association ended before every file was answered.`);
  return result;
}
