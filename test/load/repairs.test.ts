import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError, loadModel, registerKerasLayers } from '../../src';
import type { JsonObject } from '../../src/load/json';
import { modelFormat, repairArtifacts } from '../../src/load/load-model';
import { keras3ActivationNames, keras3DtypePolicy, keras3InboundNodes, keras3InputShape, keras3ModelEnds } from '../../src/load/repairs/keras3';
import { globalPoolingKeepDims, groupedConv, separableConvKernelFields, tfOpLambdaCalls } from '../../src/load/repairs/layer-configs';
import { kerasFileLayerPaths, kerasWeightNames, snakeCase } from '../../src/load/weight-names';

const functional = (layers: JsonObject[], extra: JsonObject = {}): JsonObject => ({ class_name: 'Functional', config: { name: 'm', layers, ...extra } });
const layersOf = (model: JsonObject): JsonObject[] => (model.config as JsonObject).layers as JsonObject[];

describe('Keras 3 topology repairs', () => {
  it('keras3InputShape: batch_shape → batch_input_shape', () => {
    const m = functional([{ class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 8, 8, 3] } }]);
    expect(keras3InputShape(m)).toBe(true);
    expect(layersOf(m)[0].config).toEqual({ name: 'in', batch_input_shape: [null, 8, 8, 3] });
    expect(keras3InputShape(m)).toBe(false);
  });

  it('keras3DtypePolicy: policy objects → dtype names (mixed → float32)', () => {
    const policy = (name: string): JsonObject => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null });
    const m = functional([
      { class_name: 'Dense', config: { name: 'a', dtype: policy('float32') } },
      { class_name: 'Dense', config: { name: 'b', dtype: policy('mixed_float16') } },
      { class_name: 'Dense', config: { name: 'c', dtype: 'float32' } },
    ]);
    expect(keras3DtypePolicy(m)).toBe(true);
    expect(layersOf(m).map((l) => (l.config as JsonObject).dtype)).toEqual(['float32', 'float32', 'float32']);
  });

  it('keras3InboundNodes: {args, kwargs} calls → [[layer, node, index, {}]], lists of tensors flattened', () => {
    const tensor = (layer: string, i = 0): JsonObject => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [layer, 0, i] } });
    const m = functional([
      { class_name: 'Dense', config: { name: 'd' }, inbound_nodes: [{ args: [tensor('in')], kwargs: { training: false } }] },
      { class_name: 'Add', config: { name: 'add' }, inbound_nodes: [{ args: [[tensor('d'), tensor('x', 1)]], kwargs: {} }] },
    ]);
    expect(keras3InboundNodes(m)).toBe(true);
    expect(layersOf(m)[0].inbound_nodes).toEqual([[['in', 0, 0, {}]]]);
    expect(layersOf(m)[1].inbound_nodes).toEqual([[['d', 0, 0, {}], ['x', 0, 1, {}]]]);
    expect(keras3InboundNodes(m)).toBe(false);
  });

  it("keras3ActivationNames: Keras 3's silu → swish", () => {
    const m = functional([{ class_name: 'Activation', config: { name: 'a', activation: 'silu' } }, { class_name: 'Dense', config: { name: 'd', activation: 'relu' } }]);
    expect(keras3ActivationNames(m)).toBe(true);
    expect(layersOf(m).map((l) => (l.config as JsonObject).activation)).toEqual(['swish', 'relu']);
  });

  it('keras3ModelEnds: a single [layer, node, index] → a list of them', () => {
    const m = functional([], { input_layers: ['in', 0, 0], output_layers: [['out', 0, 0]] });
    expect(keras3ModelEnds(m)).toBe(true);
    expect(m.config).toMatchObject({ input_layers: [['in', 0, 0]], output_layers: [['out', 0, 0]] });
  });
});

describe('layer config repairs', () => {
  it("separableConvKernelFields drops SeparableConv2D's kernel_* fields only", () => {
    const m = functional([
      { class_name: 'SeparableConv2D', config: { name: 's', kernel_initializer: {}, kernel_regularizer: null, kernel_constraint: null, depthwise_initializer: {} } },
      { class_name: 'Conv2D', config: { name: 'c', kernel_initializer: {} } },
    ]);
    expect(separableConvKernelFields(m)).toBe(true);
    expect(layersOf(m)[0].config).toEqual({ name: 's', depthwise_initializer: {} });
    expect(layersOf(m)[1].config).toEqual({ name: 'c', kernel_initializer: {} });
  });

  it('globalPoolingKeepDims: keepdims=True pooling → GlobalPooling2DKeepDims; keepdims=False left alone', () => {
    const m = functional([
      { class_name: 'GlobalAveragePooling2D', config: { name: 'a', keepdims: true } },
      { class_name: 'GlobalMaxPooling2D', config: { name: 'b', keepdims: true } },
      { class_name: 'GlobalAveragePooling2D', config: { name: 'c', keepdims: false } },
    ]);
    expect(globalPoolingKeepDims(m)).toBe(true);
    expect(layersOf(m).map((l) => [l.class_name, (l.config as JsonObject).mode])).toEqual([
      ['GlobalPooling2DKeepDims', 'avg'],
      ['GlobalPooling2DKeepDims', 'max'],
      ['GlobalAveragePooling2D', undefined],
    ]);
  });

  it('groupedConv: Conv2D with groups > 1 → GroupedConv2D', () => {
    const m = functional([
      { class_name: 'Conv2D', config: { name: 'g', groups: 4 } },
      { class_name: 'Conv2D', config: { name: 'p', groups: 1 } },
    ]);
    expect(groupedConv(m)).toBe(true);
    expect(layersOf(m).map((l) => l.class_name)).toEqual(['GroupedConv2D', 'Conv2D']);
  });

  it("tfOpLambdaCalls: a TFOpLambda's flat node → the usual form; constants → call_kwargs, tensors → inputs", () => {
    const m = functional([
      { class_name: 'TFOpLambda', config: { name: 'mul', function: 'math.multiply' }, inbound_nodes: [['x', 0, 0, { y: 0.5, name: null }]] },
      { class_name: 'TFOpLambda', config: { name: 'add', function: '__operators__.add' }, inbound_nodes: [['x', 1, 0, { y: ['skip', 0, 0], name: null }]] },
    ]);
    expect(tfOpLambdaCalls(m)).toBe(true);
    const [mul, add] = layersOf(m);
    expect(mul.inbound_nodes).toEqual([[['x', 0, 0, {}]]]);
    expect(mul.config).toMatchObject({ call_kwargs: { y: 0.5 }, tensor_kwargs: [] });
    expect(add.inbound_nodes).toEqual([[['x', 1, 0, {}], ['skip', 0, 0, {}]]]);
    expect(add.config).toMatchObject({ call_kwargs: {}, tensor_kwargs: ['y'] });
  });

  it('repairArtifacts copies: the caller’s topology is unchanged, and it names the repairs applied', () => {
    const topology = { keras_version: '3.1', model_config: functional([{ class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 2] } }]) };
    const before = JSON.stringify(topology);
    const { artifacts, repairs } = repairArtifacts({ modelTopology: topology });
    expect(repairs).toEqual(['keras3InputShape']);
    expect(JSON.stringify(topology)).toBe(before);
    expect(JSON.stringify(artifacts.modelTopology)).toContain('batch_input_shape');
  });
});

describe('Keras 3 weight names', () => {
  it('snakeCase follows Keras 3', () => {
    expect(['BatchNormalization', 'Conv2D', 'DepthwiseConv2D', 'ReLU', 'InputLayer'].map(snakeCase)).toEqual([
      'batch_normalization',
      'conv2d',
      'depthwise_conv2d',
      're_lu',
      'input_layer',
    ]);
  });

  it('maps .keras variable paths (by class and order) and .h5 model-name prefixes to tfjs weight names', () => {
    const m = functional([
      { class_name: 'InputLayer', config: { name: 'in' } },
      { class_name: 'Conv2D', config: { name: 'stem' } },
      { class_name: 'BatchNormalization', config: { name: 'bn' } },
      { class_name: 'Conv2D', config: { name: 'head' } },
    ]);
    expect([...kerasFileLayerPaths(m)]).toEqual([
      ['layers/input_layer', 'in'],
      ['layers/conv2d', 'stem'],
      ['layers/batch_normalization', 'bn'],
      ['layers/conv2d_1', 'head'],
    ]);
    const names = new Map([
      ['stem', ['stem/kernel', 'stem/bias']],
      ['bn', ['bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance']],
      ['head', ['head/kernel']],
    ]);
    const spec = (name: string): tf.io.WeightsManifestEntry => ({ name, shape: [1], dtype: 'float32' });
    const renamed = kerasWeightNames(
      [spec('layers/conv2d_1/vars/0'), spec('layers/batch_normalization/vars/3'), spec('functional/stem/bias'), spec('bn/gamma'), spec('odd/name')],
      m,
      names,
    );
    expect(renamed.map((s) => s.name)).toEqual(['head/kernel', 'bn/moving_variance', 'stem/bias', 'bn/gamma', 'odd/name']);
    // Keras 3 .h5: a DepthwiseConv2D's `kernel` is tfjs's `depthwise_kernel`, matched by position.
    const dw = new Map([['dw', ['dw/depthwise_kernel', 'dw/bias']]]);
    expect(kerasWeightNames([spec('dw/kernel'), spec('dw/bias')], m, dw).map((s) => s.name)).toEqual(['dw/depthwise_kernel', 'dw/bias']);
  });
});

describe('loadModel', () => {
  const denseModel = (): tfl.LayersModel => {
    const input = tfl.input({ shape: [4] });
    return tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 3, name: 'out' }).apply(input) as tfl.SymbolicTensor });
  };
  const saved = async (model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> => {
    let artifacts: tf.io.ModelArtifacts = {};
    await model.save({ save: async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) });
    return artifacts;
  };
  const handler = (artifacts: tf.io.ModelArtifacts): tf.io.IOHandler => ({ load: async () => artifacts });

  it('loads a model tfjs saved, with its weights', async () => {
    const model = denseModel();
    const artifacts = await saved(model);
    const loaded = await loadModel(handler(artifacts));
    const x = tf.ones([1, 4]);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('a failed load frees every tensor it made (weights that do not fit)', async () => {
    const model = denseModel();
    const artifacts = await saved(model);
    model.dispose();
    const before = tf.memory().numTensors;
    const wrong = { ...artifacts, weightSpecs: (artifacts.weightSpecs ?? []).slice(0, 1) };
    const err = await loadModel(handler(wrong)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GradCamError);
    expect((err as GradCamError).message).toMatch(/1 of 2 weights are not set/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names an unknown layer class and says how to register one', async () => {
    const model = denseModel();
    const artifacts = await saved(model);
    model.dispose();
    const topology = JSON.parse(JSON.stringify(artifacts.modelTopology).replace('"Dense"', '"MyAttention"'));
    const before = tf.memory().numTensors;
    const err = (await loadModel(handler({ ...artifacts, modelTopology: topology })).catch((e: unknown) => e)) as GradCamError;
    expect(err).toBeInstanceOf(GradCamError);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/"MyAttention".*registerClass/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a GraphModel without loadGraphModel, saying what to pass (the format is decided in one place)', async () => {
    expect(modelFormat({ format: 'graph-model', modelTopology: { node: [] } })).toBe('graph');
    expect(modelFormat({ format: 'layers-model', modelTopology: { class_name: 'Sequential' } })).toBe('layers');
    const err = (await loadModel(handler({ format: 'graph-model', modelTopology: { node: [] } })).catch((e: unknown) => e)) as GradCamError;
    expect(err.code).toBe('UNSUPPORTED_MODEL');
    expect(err.message).toMatch(/GraphModel.*pass .*loadGraphModel/);
  });

  it('refuses a path string it has no IO handler for, pointing to loadModelFromFile', async () => {
    const err = (await loadModel('models/net/model.json').catch((e: unknown) => e)) as GradCamError;
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(/loadModelFromFile/);
  });

  it('never replaces a layer class the user registered', () => {
    class MyNormalization extends tfl.layers.Layer {
      static className = 'Normalization';
    }
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    const previous = map.Normalization;
    delete map.Normalization;
    try {
      tf.serialization.registerClass(MyNormalization);
      registerKerasLayers();
      expect(map.Normalization[0]).toBe(MyNormalization);
    } finally {
      if (previous === undefined) delete map.Normalization;
      else map.Normalization = previous;
    }
  });
});
