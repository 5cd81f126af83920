import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCam } from '../src';
import { expectGradCamError } from './helpers/expect';
import { conv, dense, randomImages } from './helpers/models';

function smallCnn(): tfl.LayersModel {
  return tfl.sequential({
    name: 'small',
    layers: [
      tfl.layers.inputLayer({ inputShape: [8, 8, 3], name: 'image' }),
      conv('conv1', 4),
      conv('conv2', 4),
      tfl.layers.flatten({ name: 'flatten' }),
      dense('predictions', 5),
    ],
  });
}

describe('GradCam errors', () => {
  const model = smallCnn();
  const gc = new GradCam(model);
  afterAll(() => model.dispose());

  it('an unknown layer name lists the candidate layers with their shapes', () => {
    const err = expectGradCamError(() => new GradCam(model, { layerName: 'conv9' }), 'UNKNOWN_LAYER', /No layer named "conv9"/);
    expect(err.message).toContain('conv1 [?,8,8,4]');
    expect(err.message).toContain('conv2 [?,8,8,4]');
  });

  it('a layer whose output is not a 4-D feature map', () => {
    expectGradCamError(() => new GradCam(model, { layerName: 'flatten' }), 'NOT_A_FEATURE_MAP', /\[\?,256\]/);
    expectGradCamError(() => new GradCam(model, { layerName: 'predictions' }), 'NOT_A_FEATURE_MAP');
  });

  it('a model with no spatial feature map at all', () => {
    const mlp = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3 })] });
    expectGradCamError(() => new GradCam(mlp), 'UNSUPPORTED_MODEL', /\[N,H,W,C\]/);
    const pooled = tfl.sequential({
      layers: [
        tfl.layers.inputLayer({ inputShape: [1, 1, 3] }),
        tfl.layers.conv2d({ filters: 2, kernelSize: 1 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    expectGradCamError(() => new GradCam(pooled), 'NO_FEATURE_MAP_LAYER', /spatial size above 1×1/);
  });

  it('models with several inputs or outputs ask which one is meant, listing them', () => {
    const a = tfl.input({ shape: [8, 8, 3], name: 'a' });
    const b = tfl.input({ shape: [8, 8, 3], name: 'b' });
    const c = conv('c', 2).apply(tfl.layers.add().apply([a, b])) as tfl.SymbolicTensor;
    const out = dense('out', 2).apply(tfl.layers.flatten().apply(c)) as tfl.SymbolicTensor;
    const twoInputs = tfl.model({ inputs: [a, b], outputs: out });
    expectGradCamError(() => new GradCam(twoInputs), 'BAD_OPTION', /2 inputs \("a", "b"\).*inputName/s);
    expectGradCamError(() => new GradCam(twoInputs, { inputName: 'z' }), 'BAD_OPTION', /inputName "z" is not one of the model's inputs: "a", "b"/);
    const features = tfl.layers.flatten().apply(conv('c2', 2).apply(a)) as tfl.SymbolicTensor;
    const twoOutputs = tfl.model({
      inputs: a,
      outputs: [dense('o1', 2).apply(features), dense('o2', 3).apply(features)] as tfl.SymbolicTensor[],
    });
    expectGradCamError(() => new GradCam(twoOutputs), 'BAD_OPTION', /2 outputs \("o1", "o2"\).*outputName/s);
    expectGradCamError(() => new GradCam(twoOutputs, { outputName: 'o3' }), 'BAD_OPTION', /outputName "o3".*"o1", "o2"/);
  });

  it('a shared layer (applied twice) is ambiguous as a target', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const shared = conv('shared', 3);
    const twice = shared.apply(shared.apply(input)) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: dense('p', 2).apply(tfl.layers.flatten().apply(twice)) as tfl.SymbolicTensor });
    expectGradCamError(() => new GradCam(m, { layerName: 'shared' }), 'SHARED_LAYER', /applied at 2 places/);
  });

  it('input of the wrong rank, size or channel count shows both shapes', () => {
    const wrongRank = tf.zeros([8, 8]);
    expectGradCamError(() => gc.explain(wrongRank), 'BAD_INPUT', /\[8,8\].*\[\?,8,8,3\]/);
    const wrongSize = tf.zeros([1, 16, 16, 3]);
    expectGradCamError(() => gc.explain(wrongSize), 'BAD_INPUT', /\[1,16,16,3\].*\[\?,8,8,3\]/);
    const wrongChannels = tf.zeros([8, 8, 1]);
    expectGradCamError(() => gc.explain(wrongChannels), 'BAD_INPUT', /\[8,8,1\].*\[\?,8,8,3\]/);
    expectGradCamError(() => gc.explain([1, 2, 3] as unknown as tf.Tensor), 'BAD_INPUT', /tf\.Tensor/);
    tf.dispose([wrongRank, wrongSize, wrongChannels]);
  });

  it('non-finite input values', () => {
    const x = randomImages(2);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const poisoned = tf.tidy(() => tf.concat([tf.slice(x, [0], [1]), tf.fill([1, 8, 8, 3], bad)]));
      expectGradCamError(() => gc.explain(poisoned), 'NON_FINITE_INPUT', /NaN or Infinity/);
      poisoned.dispose();
    }
    x.dispose();
  });

  it('class index out of range, not an integer, negative, or a list of the wrong length', () => {
    const x = randomImages(2);
    expectGradCamError(() => gc.explain(x, { classIndex: 5 }), 'BAD_CLASS_INDEX', /is 5, but the model scores 5 classes \(0 to 4\)/);
    expectGradCamError(() => gc.explain(x, { classIndex: 1.5 }), 'BAD_CLASS_INDEX', /integer, got 1.5/);
    expectGradCamError(() => gc.explain(x, { classIndex: -1 }), 'BAD_CLASS_INDEX');
    expectGradCamError(() => gc.explain(x, { classIndex: [1, 7] }), 'BAD_CLASS_INDEX', /entry 1/);
    expectGradCamError(() => gc.explain(x, { classIndex: [1, 2, 3] }), 'BAD_CLASS_INDEX', /3 entries but the batch has 2/);
    x.dispose();
  });

  it('a model that produces non-finite values gives an error, not a NaN heatmap', () => {
    const broken = smallCnn();
    const layer = broken.getLayer('conv2');
    const [kernel, bias] = layer.getWeights();
    const nanKernel = tf.fill(kernel.shape, NaN);
    layer.setWeights([nanKernel, bias]);
    nanKernel.dispose();
    const x = randomImages(1);
    const explainer = new GradCam(broken, { layerName: 'conv1' });
    expectGradCamError(() => explainer.explain(x), 'NON_FINITE_RESULT', /non-finite/);
    explainer.dispose();
    x.dispose();
    broken.dispose();
  });

  it('errors are instances of Error with a stack', () => {
    const err = expectGradCamError(() => new GradCam(model, { layerName: 'nope' }), 'UNKNOWN_LAYER');
    expect(err).toBeInstanceOf(Error);
    expect(err.stack).toBeDefined();
  });
});

describe('GradCam inputs that are fine', () => {
  const model = smallCnn();
  const gc = new GradCam(model, { layerName: 'conv2' });
  afterAll(() => model.dispose());

  it('a single [H,W,C] image gives a batch of one; int32 pixels are accepted', () => {
    const before = tf.memory().numTensors;
    const image = tf.tidy(() => tf.squeeze(tf.cast(tf.mul(randomImages(1), 255), 'int32'), [0]));
    expect(image.shape).toEqual([8, 8, 3]);
    const r = gc.explain(image);
    expect(r.heatmap.shape).toEqual([1, 8, 8]);
    expect(r.cam.shape).toEqual([1, 8, 8]);
    expect(r.classIndex).toHaveLength(1);
    expect(r.layerName).toBe('conv2');
    r.dispose();
    image.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('repeated calls leak nothing', () => {
    const x = randomImages(2);
    gc.explain(x).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) gc.explain(x, { classIndex: i % 5 }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
