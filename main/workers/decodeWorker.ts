// Worker thread that reads one DICOM header, decodes every frame of one file, or both from one read, per job, so import and series
// assembly use all cores and a hostile file only ever costs this worker (the pool caps its heap and time).
// Protocol: in DecodeJob {kind: 'header' | 'decode' | 'decodeToFile' | 'open', id, path, …}; out {id, instance} / {id, written}
// (bytes written to the job's file) / {id, frames} / {id, opened} (buffers transferred; values written into a job's shared
// `into` view are that view, shared, not copied) or {id, error: {code, message}}.
import { parentPort } from 'node:worker_threads';
import { toErrorData } from '../../shared/errors.js';
import {
  decodeFileInProcess,
  decodeFileToFileInProcess,
  openFileInProcess,
  readHeaderInProcess,
  transferablesOf,
  type DecodeJob,
  type DecodeReply,
} from '../services/dicom/decodePool.js';
import { ReadScratch, useBlockingReads } from '../services/dicom/fileRead.js';

const port = parentPort;
if (!port) throw new Error('decodeWorker must run as a worker thread');
// One job at a time here: plain blocking reads are cheaper than the thread pool's round trips.
useBlockingReads();
// ...and every file is read into the same buffer (frames that would view it are copied out).
const scratch = new ReadScratch();
// The decoded slice of a decodeToFile job, reused too (it is written out before the next job).
const slice: { values?: Int16Array } = {};

port.on('message', async (job: DecodeJob) => {
  try {
    if (job.kind === 'header') {
      const instance = await readHeaderInProcess({ path: job.path, archiveMember: job.archiveMember }, job.bytes, scratch);
      port.postMessage({ id: job.id, instance } satisfies DecodeReply);
      return;
    }
    if (job.kind === 'open') {
      const opened = await openFileInProcess(job.path);
      port.postMessage({ id: job.id, opened } satisfies DecodeReply, transferablesOf(opened.frames));
      return;
    }
    if (job.kind === 'decodeToFile') {
      const written = await decodeFileToFileInProcess(job.path, job.instance, job.fd, job.position, scratch, slice);
      port.postMessage({ id: job.id, written } satisfies DecodeReply);
      return;
    }
    const frames = await decodeFileInProcess(job.path, job.instance, job.bytes, job.into, scratch);
    const reply: DecodeReply = { id: job.id, frames };
    port.postMessage(reply, transferablesOf(frames));
  } catch (err) {
    const reply: DecodeReply = { id: job.id, error: toErrorData(err) };
    port.postMessage(reply);
  }
});
