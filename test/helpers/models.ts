import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Small seeded models for tests: deterministic weights, shapes easy to reason about. */

let seed = 1;
/** A fresh seeded initializer, so every layer gets different but reproducible weights. */
export function init(): ReturnType<typeof tfl.initializers.randomNormal> {
  return tfl.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: seed++ });
}

export function conv(name: string, filters: number, activation: 'relu' | 'linear' = 'relu'): tfl.layers.Layer {
  return tfl.layers.conv2d({
    name,
    filters,
    kernelSize: 3,
    padding: 'same',
    activation,
    kernelInitializer: init(),
    biasInitializer: init(),
  });
}

export function dense(name: string, units: number, activation: 'softmax' | 'linear' | 'relu' = 'softmax'): tfl.layers.Layer {
  return tfl.layers.dense({ name, units, activation, kernelInitializer: init(), biasInitializer: init() });
}

export function randomImages(n: number, size = 8, channels = 3, s = 7): tf.Tensor4D {
  return tf.randomUniform([n, size, size, channels], 0, 1, 'float32', s) as tf.Tensor4D;
}

/** The pre-softmax scores of a Dense layer, computed from its weights by hand. */
export function denseLogits(layer: tfl.layers.Layer, x: tf.Tensor): tf.Tensor2D {
  const [kernel, bias] = layer.getWeights(); // live values: never dispose them
  return tf.add(tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D), bias) as tf.Tensor2D;
}

/** Everything about a model that explaining must not change, as one comparable value. */
export function snapshot(model: tfl.LayersModel): string {
  const layers: tfl.layers.Layer[] = [];
  const walk = (m: { layers: tfl.layers.Layer[] }): void => {
    for (const l of m.layers) {
      layers.push(l);
      if ('layers' in l) walk(l as unknown as { layers: tfl.layers.Layer[] });
    }
  };
  walk(model);
  return JSON.stringify({
    config: model.getConfig(),
    layers: layers.map((l) => ({
      name: l.name,
      trainable: l.trainable,
      built: l.built,
      nodes: l.inboundNodes.length,
      activation: (l.getConfig() as { activation?: unknown }).activation,
      weights: l.getWeights().map((w) => Array.from(w.dataSync())),
    })),
  });
}
