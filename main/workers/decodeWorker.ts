// Worker thread that reads one DICOM header, decodes every frame of one file, or both from one read, per job, so import and series
// assembly use all cores and a hostile file only ever costs this worker (the pool caps its heap and time).
// Protocol: in DecodeJob {kind: 'header' | 'decode' | 'open', id, path, …}; out {id, instance} / {id, frames} / {id, opened} (buffers
// transferred) or {id, error: {code, message}}.
import { parentPort } from 'node:worker_threads';
import { toErrorData } from '../../shared/errors.js';
import {
  decodeFileInProcess,
  openFileInProcess,
  readHeaderInProcess,
  transferablesOf,
  type DecodeJob,
  type DecodeReply,
} from '../services/dicom/decodePool.js';

const port = parentPort;
if (!port) throw new Error('decodeWorker must run as a worker thread');

port.on('message', async (job: DecodeJob) => {
  try {
    if (job.kind === 'header') {
      const instance = await readHeaderInProcess({ path: job.path, archiveMember: job.archiveMember }, job.bytes);
      port.postMessage({ id: job.id, instance } satisfies DecodeReply);
      return;
    }
    if (job.kind === 'open') {
      const opened = await openFileInProcess(job.path);
      port.postMessage({ id: job.id, opened } satisfies DecodeReply, transferablesOf(opened.frames));
      return;
    }
    const frames = await decodeFileInProcess(job.path, job.instance, job.bytes);
    const reply: DecodeReply = { id: job.id, frames };
    port.postMessage(reply, transferablesOf(frames));
  } catch (err) {
    const reply: DecodeReply = { id: job.id, error: toErrorData(err) };
    port.postMessage(reply);
  }
});
