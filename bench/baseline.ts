import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Grad-CAM the way existing tfjs demos write it (e.g. tfjs-examples' visualize-convnet): one
 * sub-model up to the last conv layer, a second one that re-applies the remaining layers one by
 * one, and `tf.grad` of the class output through it. Kept close to that code on purpose — it is
 * the approach the benchmark compares against, not something the library does.
 *
 * Two deviations, both needed to run at all: the class score is picked with `tf.slice`
 * (the demos' `gather` has no gradient on wasm), and functional ops replace chained methods.
 * Note that building the second sub-model applies the user's layers to a new input, which adds
 * graph nodes to them: the library avoids that.
 */
export function twoSubModelGradCam(model: tfl.LayersModel, lastConvLayerName: string): (x: tf.Tensor4D, classIndex: number) => tf.Tensor {
  const lastConvLayer = model.getLayer(lastConvLayerName);
  const lastConvOutput = lastConvLayer.getOutputAt(0) as tfl.SymbolicTensor;
  const subModel1 = tfl.model({ inputs: model.inputs, outputs: lastConvOutput });
  const newInput = tfl.input({ shape: lastConvOutput.shape.slice(1) as number[] });
  const start = model.layers.indexOf(lastConvLayer) + 1;
  let y: tfl.SymbolicTensor = newInput;
  for (const layer of model.layers.slice(start)) y = layer.apply(y) as tfl.SymbolicTensor;
  const subModel2 = tfl.model({ inputs: newInput, outputs: y });

  return (x, classIndex) =>
    tf.tidy(() => {
      const classOutput = (conv: tf.Tensor) => tf.slice(subModel2.apply(conv, { training: true }) as tf.Tensor, [0, classIndex], [1, 1]);
      const gradFunction = tf.grad(classOutput);
      const lastConvLayerOutputValues = subModel1.apply(x) as tf.Tensor;
      const gradValues = gradFunction(lastConvLayerOutputValues);
      const pooledGradValues = tf.mean(gradValues, [0, 1, 2]);
      const scaledConvOutputValues = tf.mul(lastConvLayerOutputValues, pooledGradValues);
      let heatMap = tf.mean(scaledConvOutputValues, -1);
      heatMap = tf.relu(heatMap);
      heatMap = tf.expandDims(tf.div(heatMap, tf.max(heatMap)), -1);
      heatMap = tf.image.resizeBilinear(heatMap as tf.Tensor4D, [x.shape[1], x.shape[2]]);
      return heatMap;
    });
}
