/**
 * Worker thread (dist/shuffleWorker.js) that makes permuted control models off the main thread
 * (issue 15): each job copies the shared encoded template, shuffles its regions
 * (shuffleRegions.ts) and transfers the bytes back, so the main thread keeps running the
 * trained pass while the controls are prepared. Started by shufflePool.ts.
 */
import { parentPort } from 'worker_threads';
import { shuffleRegions, type ShuffleJob, type ShuffleReply } from './shuffleRegions';

parentPort?.on('message', (job: ShuffleJob) => {
  let reply: ShuffleReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const out = new Uint8Array(job.byteLength);
    out.set(new Uint8Array(job.template, 0, job.byteLength));
    shuffleRegions(out, job.regions, job.seed);
    reply = { id: job.id, bytes: out.buffer };
    transfer.push(out.buffer);
  } catch (e) {
    reply = { id: job.id, error: (e as Error).stack ?? String(e) };
  }
  parentPort!.postMessage(reply, transfer);
});
