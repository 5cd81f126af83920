import * as tf from '@tensorflow/tfjs-core';
import { GradCam } from '../../gradcam';
import { isGraphModel } from '../../model/graph-model';
import { graphFacts } from '../../model/graph-targets';
import { loadModelFromFile } from '../file-io';
import { type ReadImageOptions, checkReadOptions, modelInputSize, readImage } from '../image';
import type { PoolExplanation } from './explain-in-workers';
import type { PoolBackend, PoolInit } from './options';
import type { JobRunner } from './protocol';

/** One image as it travels to a worker. @internal */
export type PoolJob = { readonly file: string } | { readonly pixels: Float32Array; readonly shape: readonly [number, number, number] };

/** Selects the backend in this thread, importing its package (neither is a dependency of the library). @internal */
export async function startBackend(backend: PoolBackend): Promise<void> {
  tf.env().set('PROD', true); // no "running in Node" banner from every worker
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(backend))) throw new Error(`the tfjs ${backend} backend did not initialize in a worker thread.`);
}

/** A worker's setup: its backend, the model (with the library's loader), one explainer. @internal */
export async function explainRunner(init: PoolInit): Promise<JobRunner<PoolJob, PoolExplanation>> {
  await startBackend(init.backend);
  const model = await loadModelFromFile(init.modelPath, init.load);
  let explainer: GradCam | undefined;
  let readOptions: ReadImageOptions;
  try {
    explainer = new GradCam(model, init.explainer);
    readOptions = { ...init.read, size: init.read.size ?? (isGraphModel(model) ? graphImageSize(model) : modelInputSize(model)) };
    checkReadOptions(readOptions); // a bad size fails the setup, not every image
  } catch (err) {
    explainer?.dispose();
    model.dispose();
    throw err;
  }
  const read = (job: PoolJob): Promise<tf.Tensor3D> =>
    'pixels' in job ? Promise.resolve(tf.tensor3d(job.pixels, [...job.shape], 'float32')) : readImage(job.file, readOptions);
  return {
    async run(job) {
      const image = await read(job);
      try {
        const result = explainer.explain(image, init.explain);
        try {
          const [, h, w] = result.heatmap.shape;
          return {
            heatmap: (await result.heatmap.data()) as Float32Array,
            shape: [h, w],
            classIndex: result.classIndex[0],
            score: result.scores[0],
            output: Float32Array.from(await result.output.data()),
            layerName: result.layerNames.join(','),
          };
        } finally {
          result.dispose();
        }
      } finally {
        image.dispose();
      }
    },
    close() {
      explainer.dispose();
      model.dispose();
    },
  };
}

/** A GraphModel's `[height, width]`, or undefined where its input takes any size. */
function graphImageSize(model: Parameters<typeof graphFacts>[0]): readonly [number, number] | undefined {
  const [, h, w] = graphFacts(model).inputShape;
  return h == null || w == null ? undefined : [h, w];
}
