import type * as tf from '@tensorflow/tfjs-core';
import type { GraphModelLoader, LoadedGraphModel } from '../load/graph-load';
import { GradCamError } from '../errors';
import { messageOf } from './message';

/**
 * tfjs-converter's `loadGraphModel`, imported when a graph model is first loaded (Node only: the
 * optional peer dependency is resolved from where tfjs-gradcam is installed, as the user's own
 * tfjs packages are). The main and browser entries never import it.
 *
 * @throws GradCamError `UNSUPPORTED_MODEL` saying to install `@tensorflow/tfjs-converter` when
 *   it cannot be imported.
 */
export const nodeGraphModelLoader: GraphModelLoader<LoadedGraphModel> = async (handler) => {
  let converter: { loadGraphModel: (handler: tf.io.IOHandler) => Promise<LoadedGraphModel> };
  try {
    converter = await import('@tensorflow/tfjs-converter');
  } catch (err) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `Cannot load the model: it is a GraphModel, and loading one needs the optional peer dependency @tensorflow/tfjs-converter, which cannot be imported (${messageOf(err)}). ` +
        'Install it beside tfjs-gradcam: npm install @tensorflow/tfjs-converter',
    );
  }
  return converter.loadGraphModel(handler);
};
