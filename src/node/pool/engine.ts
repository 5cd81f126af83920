import { Worker } from 'node:worker_threads';
import { messageOf } from '../message';
import { type FromWorker, type ToWorker, fromWire } from './protocol';

/** How one job ended: its result, or the error that stopped it (the other jobs go on). @internal */
export type JobOutcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: Error };

/** The outcome of a job that threw `err` (an Error as it is, anything else wrapped). @internal */
export function failedOutcome(err: unknown): { readonly ok: false; readonly error: Error } {
  return { ok: false, error: err instanceof Error ? err : new Error(messageOf(err)) };
}

/** A pool run. @internal */
export interface PoolSpec<J, R> {
  /** The built worker script (it calls `serveJobs`). */
  readonly script: URL;
  /** Worker threads to start (at most one per job). */
  readonly workers: number;
  /** Each worker's `workerData`: what it needs to set up (the model's path, options). */
  readonly init: unknown;
  /** How many jobs. */
  readonly count: number;
  /**
   * Makes job `index`, when a worker is free for it: so only as many jobs as there are workers
   * exist at a time. A throw fails that job alone.
   */
  readonly job: (index: number) => J | Promise<J>;
  /** Called as each job ends, in the order they end. */
  readonly onOutcome?: (index: number, outcome: JobOutcome<R>) => void;
  readonly signal?: AbortSignal;
}

/** What a finished run gives. @internal */
export interface PoolRun<R> {
  /** One outcome per job, in job order. */
  readonly outcomes: JobOutcome<R>[];
  /** Per worker, `tf.memory().numTensors` after it disposed its model: 0 when nothing leaked. */
  readonly tensorsLeft: number[];
}

/**
 * Runs `count` jobs on worker threads, each worker set up once, one job at a time per worker.
 * Every worker is ended before the promise settles: after a polite close on success, by
 * `terminate()` when a worker fails to set up or crashes, or on abort (the promise then rejects
 * with the signal's reason). @internal
 */
export function runPool<J, R>(spec: PoolSpec<J, R>): Promise<PoolRun<R>> {
  return new Promise((resolve, reject) => {
    const { signal } = spec;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const outcomes = new Array<JobOutcome<R>>(spec.count);
    const tensorsLeft: number[] = [];
    const workers: Worker[] = [];
    let next = 0;
    let settled = 0;
    let ending = false;

    const stopAll = (): Promise<unknown> => Promise.all(workers.map((w) => w.terminate()));
    const fail = (err: unknown): void => {
      if (ending) return;
      ending = true;
      signal?.removeEventListener('abort', onAbort);
      void stopAll().then(() => reject(err));
    };
    const onAbort = (): void => fail(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    const closeAll = (): void => {
      ending = true;
      signal?.removeEventListener('abort', onAbort);
      const closed = workers.map(
        (w, i) =>
          new Promise<void>((done) => {
            w.on('message', (m: FromWorker<R>) => {
              if (m.type !== 'closed') return;
              tensorsLeft[i] = m.numTensors;
              // Its work is done: end it even if something it loaded still holds its event loop.
              void w.terminate();
            });
            w.once('exit', () => done());
            w.postMessage({ type: 'close' } satisfies ToWorker<J>);
          }),
      );
      void Promise.all(closed).then(() => resolve({ outcomes, tensorsLeft }));
    };

    const settle = (index: number, outcome: JobOutcome<R>): void => {
      outcomes[index] = outcome;
      settled++;
      try {
        spec.onOutcome?.(index, outcome);
      } catch (err) {
        fail(err); // a throwing progress callback ends the run, not the process
      }
    };

    /** Gives the worker its next job, or closes the pool when all have ended. */
    const feed = async (worker: Worker): Promise<void> => {
      while (!ending && next < spec.count) {
        const index = next++;
        let job: J;
        try {
          job = await spec.job(index);
        } catch (err) {
          settle(index, failedOutcome(err));
          continue;
        }
        if (ending) return;
        worker.postMessage({ type: 'job', id: index, job } satisfies ToWorker<J>);
        return;
      }
      if (!ending && settled === spec.count) closeAll();
    };

    const size = Math.max(1, Math.min(spec.workers, spec.count));
    if (spec.count === 0) {
      resolve({ outcomes, tensorsLeft });
      return;
    }
    for (let w = 0; w < size; w++) {
      // Node flags pass on to workers, but --input-type (node --input-type=module -e …) stops a worker from starting.
      const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
      const worker = new Worker(spec.script, { workerData: spec.init, execArgv });
      workers.push(worker);
      worker.on('message', (m: FromWorker<R>) => {
        if (ending) return;
        if (m.type === 'ready') void feed(worker);
        else if (m.type === 'failed') fail(fromWire(m.error));
        else if (m.type === 'done' || m.type === 'error') {
          settle(m.id, m.type === 'done' ? { ok: true, value: m.result } : { ok: false, error: fromWire(m.error) });
          void feed(worker);
        }
      });
      worker.on('error', (err) => fail(new Error(`A tfjs-gradcam worker thread failed: ${messageOf(err)}`)));
      worker.on('exit', (code) => {
        if (!ending) fail(new Error(`A tfjs-gradcam worker thread stopped early (exit code ${code}).`));
      });
    }
  });
}
