// Worker thread that decodes every frame of one DICOM file per job, so series assembly can use all cores.
// Protocol: in {id, path, bytes?, instance}; out {id, frames} (buffers transferred) or {id, error: {code, message}}.
import { parentPort } from 'node:worker_threads';
import { toErrorData } from '../../shared/errors.js';
import { decodeFileInProcess, transferablesOf, type DecodeJob, type DecodeReply } from '../services/dicom/decodePool.js';

const port = parentPort;
if (!port) throw new Error('decode-worker must run as a worker thread');

port.on('message', async (job: DecodeJob) => {
  try {
    const frames = await decodeFileInProcess(job.path, job.instance, job.bytes);
    const reply: DecodeReply = { id: job.id, frames };
    port.postMessage(reply, transferablesOf(frames));
  } catch (err) {
    const reply: DecodeReply = { id: job.id, error: toErrorData(err) };
    port.postMessage(reply);
  }
});
