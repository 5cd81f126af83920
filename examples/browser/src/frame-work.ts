/**
 * Where the live loop's frames are explained: on the page's main thread, or in a Web Worker
 * (frame-worker.ts) that gets each frame as an ImageBitmap and sends back the coloured heatmap
 * as another, so the page's thread only captures and composites.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type CamMethodName, type ColormapName, GradCamError, type GradCamErrorCode } from '../../../src';
import { type DrawPath, drawHeatmap } from '../../../src/browser';
import { type BackendName, wasmThreads } from './backends';
import type { Explainer, Ranked } from './explainer';

/** One explained frame, its heatmap already coloured and ready to draw. */
export interface ExplainedFrame {
  /** The coloured heatmap at the model's input size. */
  heat: CanvasImageSource;
  top: Ranked[];
  /** Where the heatmap peaks, in the model input's pixels. */
  peak: { row: number; col: number };
  /** How drawHeatmap put the heatmap on its canvas: on the device, or after an asynchronous read-back. */
  drawPath: DrawPath;
  /** `[height, width]` of the model's input. */
  inputSize: readonly [number, number];
  /** ms from the frame's hand-over to the heatmap's read-back, and to the coloured heatmap. */
  inferenceMs: number;
  drawMs: number;
  /** `tf.memory().numTensors` and the backend where the frame was explained. */
  numTensors: number;
  backend: string;
  /** The threads of that thread's wasm backend (0 on another backend). */
  wasmThreads: number;
  /** Frees the heatmap picture. */
  release(): void;
}

/** Explains frames, on one thread or another. */
export interface FrameWork {
  readonly thread: 'main' | 'worker';
  explainFrame(picture: HTMLCanvasElement, method: CamMethodName, colormap: ColormapName): Promise<ExplainedFrame>;
}

/** Explains on the page's own thread, with the page's explainer (read each frame: the page may swap it). */
export class MainThreadWork implements FrameWork {
  readonly thread = 'main';
  private readonly heat = document.createElement('canvas');

  constructor(private readonly explainer: () => Explainer) {}

  async explainFrame(picture: HTMLCanvasElement, method: CamMethodName, colormap: ColormapName): Promise<ExplainedFrame> {
    const explainer = this.explainer();
    const { explained, ...timing } = await explainAndDraw(explainer, picture, method, colormap, this.heat);
    return { heat: this.heat, ...explained, ...timing, inputSize: explainer.inputSize, ...memory(), release: () => undefined };
  }
}

/** Explains with `explainer` and colours the heatmap onto `heat`: the work of a frame on either thread. */
export async function explainAndDraw(
  explainer: Explainer,
  picture: HTMLCanvasElement | ImageBitmap,
  method: CamMethodName,
  colormap: ColormapName,
  heat: HTMLCanvasElement | OffscreenCanvas,
): Promise<{ explained: Pick<ExplainedFrame, 'top' | 'peak' | 'drawPath'>; inferenceMs: number; drawMs: number }> {
  const t0 = performance.now();
  const { result, top, peak } = await explainer.explain(picture, method);
  const t1 = performance.now();
  let drawPath: DrawPath;
  try {
    drawPath = await drawHeatmap(heat, result, { colormap });
  } finally {
    result.dispose();
  }
  return { explained: { top, peak, drawPath }, inferenceMs: t1 - t0, drawMs: performance.now() - t1 };
}

/** The tensor count and backend of this thread, and its wasm threads (0 on another backend). */
export function memory(): { numTensors: number; backend: string; wasmThreads: number } {
  const backend = tf.getBackend();
  return { numTensors: tf.memory().numTensors, backend, wasmThreads: backend === 'wasm' ? wasmThreads() : 0 };
}

/** What the page asks the worker. */
export type WorkerRequest =
  | {
      kind: 'configure';
      backend?: BackendName;
      layer?: string;
      range?: readonly [number, number];
      /** The page's `?threads=N`, for the worker's own wasm backend (used before it starts). */
      wasmThreads?: number;
    }
  | { kind: 'frame'; picture: ImageBitmap; method: CamMethodName; colormap: ColormapName };

/** What the worker answers: to `configure`, its backend and layer; to `frame`, the frame with an ImageBitmap. */
export type WorkerReply =
  | { kind: 'configured'; backend: string; layer: string }
  | ({ kind: 'frame' } & Omit<ExplainedFrame, 'release' | 'heat'> & { heat: ImageBitmap });

/** An error sent back by the worker: a GradCamError keeps its code. */
export interface WorkerFailure {
  name: string;
  message: string;
  code?: GradCamErrorCode;
}

/** Whether this browser can explain in a worker: module workers, OffscreenCanvas with a 2-D context, ImageBitmap. */
export function workerSupported(): boolean {
  return (
    typeof Worker !== 'undefined' &&
    typeof OffscreenCanvas !== 'undefined' &&
    typeof OffscreenCanvas.prototype.transferToImageBitmap === 'function' &&
    typeof createImageBitmap === 'function'
  );
}

/** Explains in frame-worker.ts, with the demo model (the worker loads it itself). */
export class WorkerWork implements FrameWork {
  readonly thread = 'worker';
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();
  private nextId = 1;

  private constructor() {
    this.worker = new Worker(new URL('./frame-worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (event: MessageEvent<{ id: number; reply?: WorkerReply; failure?: WorkerFailure }>) => {
      const { id, reply, failure } = event.data;
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (waiting === undefined) return;
      if (failure !== undefined) waiting.reject(toError(failure));
      else waiting.resolve(reply as WorkerReply);
    };
    this.worker.onerror = (event) => {
      const error = new Error(`the explaining worker failed: ${event.message}`);
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
  }

  /**
   * Starts the worker on `backend`, its wasm backend on `wasmThreads` threads (undefined: tfjs's
   * default); rejects when it cannot (the page then explains on its own thread).
   */
  static async start(backend: BackendName, layer: string | undefined, wasmThreads?: number): Promise<WorkerWork> {
    const work = new WorkerWork();
    try {
      await work.configure({ backend, layer, wasmThreads });
      return work;
    } catch (err) {
      work.terminate();
      throw err;
    }
  }

  /** Sets the worker's backend, target layer ('' for the default) or input range. */
  async configure(settings: Omit<Extract<WorkerRequest, { kind: 'configure' }>, 'kind'>): Promise<{ backend: string; layer: string }> {
    const reply = await this.request({ kind: 'configure', ...settings });
    if (reply.kind !== 'configured') throw new Error('the worker answered a configure with a frame');
    return reply;
  }

  async explainFrame(picture: HTMLCanvasElement, method: CamMethodName, colormap: ColormapName): Promise<ExplainedFrame> {
    const bitmap = await createImageBitmap(picture);
    const reply = await this.request({ kind: 'frame', picture: bitmap, method, colormap }, [bitmap]);
    if (reply.kind !== 'frame') throw new Error('the worker answered a frame with a configure');
    const { kind: _, heat, ...rest } = reply;
    return { ...rest, heat, release: () => heat.close() };
  }

  terminate(): void {
    this.worker.terminate();
    for (const waiting of this.pending.values()) waiting.reject(new Error('the explaining worker was stopped'));
    this.pending.clear();
  }

  private request(request: WorkerRequest, transfer: Transferable[] = []): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, request }, transfer);
    });
  }
}

function toError(failure: WorkerFailure): Error {
  if (failure.code !== undefined) return new GradCamError(failure.code, failure.message);
  const error = new Error(failure.message);
  error.name = failure.name;
  return error;
}
