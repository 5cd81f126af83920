import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModelSync } from '@tensorflow/tfjs-converter';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { GradCam, featureMapLayers, guidedBackprop } from '../../src';
import { expectGradCamError } from '../helpers/expect';

/**
 * A hand-written graph: input [N,4,4,2] → Relu (the target) → a value StridedSlice (no gradient
 * in tfjs) → Mean over h,w → [N,2]. The slice's begin/end/strides are its constants.
 */
function slicingGraph() {
  const node = (name: string, op: string, input: string[] = [], attr: Record<string, unknown> = {}) => ({ name, op, input, attr });
  const int = (i: number) => ({ i: String(i) });
  const constInt = (name: string) => node(name, 'Const', [], { dtype: { type: 'DT_INT32' } });
  const masks = { begin_mask: int(15), end_mask: int(7), ellipsis_mask: int(0), new_axis_mask: int(0), shrink_axis_mask: int(0), T: { type: 'DT_FLOAT' } };
  const topology = {
    versions: { producer: 2000 },
    node: [
      node('x', 'Placeholder', [], { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '4' }, { size: '4' }, { size: '2' }] } } }),
      node('features/Relu', 'Relu', ['x']),
      constInt('begin'),
      constInt('end'),
      constInt('strides'),
      node('slice', 'StridedSlice', ['features/Relu', 'begin', 'end', 'strides'], masks),
      constInt('axes'),
      node('pool', 'Mean', ['slice', 'axes'], { keep_dims: { b: false } }),
      node('Identity', 'Identity', ['pool']),
    ],
  };
  const weights = { begin: [0, 0, 0, 0], end: [0, 0, 0, 1], strides: [1, 1, 1, 1], axes: [1, 2] };
  const weightSpecs = Object.entries(weights).map(([name, v]) => ({ name, shape: [v.length], dtype: 'int32' as const }));
  const weightData = new Int32Array(Object.values(weights).flat()).buffer;
  return loadGraphModelSync({ modelTopology: topology, weightSpecs, weightData, format: 'graph-model' });
}

describe('GraphModel errors', () => {
  it('an op without a gradient after the target: a GradCamError naming it, and the gradient-free methods still work', () => {
    const model = slicingGraph();
    const images = tf.randomUniform([2, 4, 4, 2], -1, 1, 'float32', 1);
    // The slice's output is a feature map too, and the last: the automatic target.
    expect(new GradCam(model).layerName).toBe('slice');
    const gc = new GradCam(model, { layerName: 'features/Relu' });
    expect(featureMapLayers(model)).toEqual([
      { name: 'features/Relu', shape: [null, 4, 4, 2] },
      { name: 'slice', shape: [null, 4, 4, 1] },
    ]);
    expectGradCamError(() => gc.explain(images, { classIndex: 0 }), 'UNSUPPORTED_MODEL', /StridedSlice.*no gradient.*scorecam, ablationcam or eigencam/);
    const before = tf.memory().numTensors;
    const r = gc.explain(images, { classIndex: 0, method: 'ablationcam' });
    // Only channel 0 reaches the output: ablating it takes the whole score, so the map is the ReLU'd channel 0.
    const channel0 = tf.tidy(() => tf.squeeze(tf.slice(tf.relu(images), [0, 0, 0, 0], [-1, -1, -1, 1]), [3]));
    const scale = tf.tidy(() => tf.div(tf.max(r.cam), tf.max(channel0)).dataSync()[0]);
    expect(Array.from(r.cam.dataSync()).map((v) => v / scale)).toEqual(
      Array.from(channel0.dataSync()).map((v) => expect.closeTo(v, 5)),
    );
    channel0.dispose();
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(images);
    model.dispose();
  });

  it('guidedBackprop says it takes LayersModels', () => {
    const model = slicingGraph();
    const images = tf.zeros([1, 4, 4, 2]);
    expectGradCamError(() => guidedBackprop(model as unknown as LayersModel, images), 'UNSUPPORTED_MODEL', /LayersModels/);
    images.dispose();
    model.dispose();
  });

  it('a graph the converter did not load says how to load it', () => {
    expectGradCamError(() => new GradCam({ execute: () => [], inputNodes: [], outputNodes: [], inputs: [], weights: {} }), 'UNSUPPORTED_MODEL', /loadGraphModel/);
  });
});
