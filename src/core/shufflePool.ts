/**
 * A small pool of shuffle workers (shuffleWorker.ts) for permuted control models (issue 15).
 * Workers start on first use and are terminated by terminate() (cancel, engine dispose): a
 * job still running then rejects at once instead of finishing a multi-second shuffle.
 */
import { Worker } from 'worker_threads';
import type { PermutationRegion, ShuffleJob, ShuffleReply } from './shuffleRegions';
import { workerEntry } from './workerEntry';

interface Pending {
  resolve: (b: Uint8Array) => void;
  reject: (e: Error) => void;
}

/** The shuffle worker's entry (workerEntry.ts): the bundle's dist/shuffleWorker.js, or the source under tsx. */
export function shuffleWorkerEntry(): { code: string; eval: boolean } | null {
  return workerEntry('shuffleWorker');
}

export class ShufflePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { job: ShuffleJob; pending: Pending }[] = [];
  private readonly running = new Map<Worker, { id: number; pending: Pending }>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly entry: { code: string; eval: boolean },
  ) {}

  /** A copy of the template (first byteLength bytes) with the regions shuffled by SeededRandom(seed)'s stream. */
  shuffled(template: SharedArrayBuffer, byteLength: number, regions: PermutationRegion[], seed: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('shuffle pool terminated'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, template, byteLength, regions, seed }, pending: { resolve, reject } });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length) {
      let w = this.idle.pop();
      if (!w && this.workers.length < this.size) w = this.spawn();
      if (!w) return;
      const { job, pending } = this.queue.shift()!;
      this.running.set(w, { id: job.id, pending });
      w.ref(); // a job in flight keeps the process alive until its reply
      w.postMessage(job);
    }
  }

  private spawn(): Worker {
    const w = new Worker(this.entry.code, { eval: this.entry.eval });
    w.on('message', (r: ShuffleReply) => {
      const run = this.running.get(w);
      this.running.delete(w);
      if (!run || run.id !== r.id) return;
      if ('error' in r) run.pending.reject(new Error(`shuffle worker: ${r.error}`));
      else run.pending.resolve(new Uint8Array(r.bytes));
      // An idle worker must not keep the process alive (the CLI exits when the run is done).
      w.unref();
      this.idle.push(w);
      this.pump();
    });
    const fail = (e: Error) => {
      const run = this.running.get(w);
      this.running.delete(w);
      this.workers.splice(this.workers.indexOf(w), 1);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      run?.pending.reject(e);
      if (!this.closed) this.pump();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(this.closed ? 'shuffle pool terminated' : `shuffle worker exited with code ${code}`)));
    this.workers.push(w);
    return w;
  }

  /** Stops every worker now; queued and running jobs reject. */
  async terminate(): Promise<void> {
    this.closed = true;
    for (const { pending } of this.queue.splice(0)) pending.reject(new Error('shuffle pool terminated'));
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }
}
