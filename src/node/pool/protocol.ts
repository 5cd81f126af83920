import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, type GradCamErrorCode } from '../../errors';
import { messageOf } from '../message';

/** An error as it crosses the thread boundary: a GradCamError keeps its code. @internal */
export interface WireError {
  readonly code?: GradCamErrorCode;
  readonly message: string;
}

/** Main thread → worker. @internal */
export type ToWorker<J> = { readonly type: 'job'; readonly id: number; readonly job: J } | { readonly type: 'close' };

/** Worker → main thread. @internal */
export type FromWorker<R> =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly error: WireError }
  | { readonly type: 'done'; readonly id: number; readonly result: R }
  | { readonly type: 'error'; readonly id: number; readonly error: WireError }
  /** After the worker disposed everything: what tfjs still holds (0 when nothing leaked). */
  | { readonly type: 'closed'; readonly numTensors: number };

/** What a worker does with its jobs, once set up. @internal */
export interface JobRunner<J, R> {
  run(job: J): Promise<R>;
  /** Frees the model and the explainer: called once, before the worker reports its tensors. */
  close(): void;
}

/** @internal */
export function toWire(err: unknown): WireError {
  return err instanceof GradCamError ? { code: err.code, message: err.message } : { message: messageOf(err) };
}

/** @internal */
export function fromWire(error: WireError): Error {
  return error.code === undefined ? new Error(error.message) : new GradCamError(error.code, error.message);
}

/**
 * The worker's side of the pool: sets up with `workerData`, then runs one job at a time as
 * the main thread sends them, until it says close. @internal
 */
export function serveJobs<I, J, R>(setup: (init: I) => Promise<JobRunner<J, R>>): void {
  const port = parentPort;
  if (port === null) throw new Error('serveJobs runs in a worker thread.');
  const post = (message: FromWorker<R>): void => port.postMessage(message);
  setup(workerData as I).then(
    (runner) => {
      port.on('message', (message: ToWorker<J>) => {
        if (message.type === 'close') {
          runner.close();
          post({ type: 'closed', numTensors: tf.memory().numTensors });
          port.close();
          return;
        }
        runner.run(message.job).then(
          (result) => post({ type: 'done', id: message.id, result }),
          (err: unknown) => post({ type: 'error', id: message.id, error: toWire(err) }),
        );
      });
      post({ type: 'ready' });
    },
    (err: unknown) => post({ type: 'failed', error: toWire(err) }),
  );
}
