/**
 * The live page's worker: explains each frame it is sent (an ImageBitmap) with the demo model
 * and sends back the coloured heatmap as an ImageBitmap drawn on an OffscreenCanvas. All tfjs
 * work of the live loop happens here, off the page's thread; webgl and webgpu run on the
 * worker's own OffscreenCanvas, wasm and cpu as anywhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { GradCamError } from '../../../src';
import { DEMO_CLASSES, loadDemoModel } from '../../../src/demo';
import { requestWasmThreads, useBackend } from './backends';
import { Explainer } from './explainer';
import { type WorkerFailure, type WorkerReply, type WorkerRequest, explainAndDraw, memory } from './frame-work';

let explainer: Explainer | undefined;
const heat = new OffscreenCanvas(1, 1);

async function handle(request: WorkerRequest): Promise<{ reply: WorkerReply; transfer: Transferable[] }> {
  if (request.kind === 'configure') {
    const switched = request.backend !== undefined && request.backend !== tf.getBackend();
    requestWasmThreads(request.wasmThreads); // before the worker's wasm backend starts
    if (request.backend !== undefined) await useBackend(request.backend);
    explainer ??= new Explainer(await loadDemoModel(), DEMO_CLASSES, [0, 1]);
    // GradCam's cached kernels belong to the backend they were made on: plan again after a switch.
    if (request.layer !== undefined) explainer.replan(request.layer === '' ? undefined : request.layer);
    else if (switched) explainer.replan();
    if (request.range !== undefined) explainer.setRange(request.range);
    return { reply: { kind: 'configured', backend: tf.getBackend(), layer: explainer.layer }, transfer: [] };
  }
  if (explainer === undefined) throw new Error('the worker got a frame before its model');
  try {
    const { explained, ...timing } = await explainAndDraw(explainer, request.picture, request.method, request.colormap, heat);
    const picture = heat.transferToImageBitmap();
    return {
      reply: { kind: 'frame', heat: picture, ...explained, ...timing, inputSize: explainer.inputSize, ...memory() },
      transfer: [picture],
    };
  } finally {
    request.picture.close();
  }
}

self.onmessage = (event: MessageEvent<{ id: number; request: WorkerRequest }>) => {
  const { id, request } = event.data;
  handle(request).then(
    ({ reply, transfer }) => self.postMessage({ id, reply }, { transfer }),
    (err: unknown) => {
      const failure: WorkerFailure =
        err instanceof Error
          ? { name: err.name, message: err.message, code: err instanceof GradCamError ? err.code : undefined }
          : { name: 'Error', message: String(err) };
      self.postMessage({ id, failure });
    },
  );
};
