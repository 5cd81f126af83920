/**
 * Trains the demo model that ships with the package: a small CNN that tells the five shapes of
 * the procedural scenes (src/demo/scenes.ts) apart, on the wasm backend, seeded and
 * reproducible (the same options give the same weights).
 *
 *   npm run train-demo-model [-- --steps=2000 --batch=32 --lr=0.002 --arch=... --out=DIR --no-write]
 *   experiments: --flips=h|hv --transposed --hide=P --adl=P --activity=λ --smooth=ε (see Options;
 *   none of them made the heatmaps localize better: docs/evaluation.md)
 *
 * Every step draws a fresh batch of scenes (seeds 0, 1, 2, … in order), so no scene is seen
 * twice and no shuffling is needed; the held-out scenes come from seeds 1 000 000 000 on. Writes
 * demo-model/model.json + weights.bin and embeds them as src/demo/demo-model-data.ts (with --out,
 * the files go to DIR and nothing is embedded; --no-write writes nothing).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { ensureGradientKernels } from '../src';
import { mixSeed, mulberry32 } from '../src/demo/prng';
import { DEMO_CLASSES, DEMO_IMAGE_SIZE, generateScenes } from '../src/demo/scenes';
import { MODEL_DIR, embedDemoModel } from './embed-demo-model';

/** First seed of the training scenes (step s uses seeds s·batch … s·batch + batch − 1). */
const TRAIN_SEED = 0;
/** First seed of the held-out scenes, far from the training range. */
const HELD_OUT_SEED = 1_000_000_000;
/** The side of the cells that --hide hides, in pixels. */
const HIDE_CELL = 16;
/** Seed of the weight initializers. */
const INIT_SEED = 1;

/**
 * The layers before the head, as a comma-separated list: `cN` a 3×3 conv with N filters and
 * ReLU (`cNxK`: K×K), `bN` the same with batch normalization before the ReLU, `p` 2×2 max
 * pooling. The last conv is named 'features' (ReLU, no batch normalization) and feeds global
 * average pooling and one softmax Dense layer, so CAM applies as well as Grad-CAM.
 *
 * One pooling only: 'features' is 32×32 (cells of 2 pixels). With two poolings (16×16) the
 * heatmaps came out about 2.7 times the target's area and localized 11 % of the targets, against
 * 43 % here; see docs/evaluation.md.
 */
const DEFAULT_ARCH = 'b8,p,b16,b16,b32,c32';

interface Options {
  steps: number;
  batch: number;
  lr: number;
  heldOut: number;
  arch: string;
  /** Where to write the model files; only the default (demo-model/) is embedded. */
  out: string;
  write: boolean;
  /** Weight of the L2 penalty on the 'features' activations (and on the Dense kernel). */
  activity: number;
  /** Label smoothing ε: targets (1 − ε)·one-hot + ε/K. */
  smooth: number;
  /**
   * Mirror training scenes: 'h' every other one left–right (all five shapes are symmetric so),
   * 'hv' also every other pair upside down (a triangle then points down); '' none.
   */
  flips: '' | 'h' | 'hv';
  /** Run the layers before 'features' on the image and on its transpose (see {@link buildModel}). */
  transposed: boolean;
  /**
   * Hide-and-seek (Singh & Lee, 2017): each 16×16 cell of a training image is replaced by the
   * image's mean colour with this probability, so no single part of a shape is always visible.
   */
  hide: number;
  /**
   * Attention-based dropout (Choe & Shim, 2019) on the input and the output of 'features' while
   * training: with this probability a scene's most active region (channel mean ≥ 0.9 × its
   * maximum) is zeroed, otherwise the activations are scaled by sigmoid(channel mean).
   */
  adl: number;
  /** A directory with model.json + weights.bin of the same architecture to start from. */
  init?: string;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = {
    steps: 2000,
    batch: 32,
    lr: 0.002,
    heldOut: 1000,
    arch: DEFAULT_ARCH,
    out: MODEL_DIR,
    write: true,
    activity: 0,
    smooth: 0,
    flips: '',
    transposed: false,
    hide: 0,
    adl: 0,
  };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key === 'no-write') options.write = false;
    else if (key === 'transposed') options.transposed = true;
    else if (key === 'flips' && (value === 'h' || value === 'hv')) options.flips = value;
    else if ((key === 'activity' || key === 'smooth') && Number(value) >= 0) options[key] = Number(value);
    else if ((key === 'hide' || key === 'adl') && Number(value) >= 0 && Number(value) < 1) options[key] = Number(value);
    else if (key === 'arch' && value !== undefined) options.arch = value;
    else if (key === 'init' && value !== undefined) options.init = resolve(value);
    else if (key === 'out' && value !== undefined) options.out = resolve(value) + sep;
    else if (key === 'steps' || key === 'batch' || key === 'heldOut' || key === 'lr') {
      const n = Number(value);
      if (!(n > 0) || (key !== 'lr' && !Number.isInteger(n))) throw new Error(`--${key} needs a positive number, got ${value}`);
      options[key] = n;
    } else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/**
 * Builds the model of an architecture string (see {@link DEFAULT_ARCH}) with seeded
 * initializers. With `transposed`, the layers before 'features' also run on the image with its
 * rows and columns swapped (the same layers, so the same weights), and 'features' sees the mean
 * of the two results, the second swapped back: whatever the network finds on vertical edges it
 * then also finds on horizontal ones.
 */
function buildModel(arch: string, transposed: boolean): tfl.LayersModel {
  let seed = INIT_SEED;
  const specs = arch.split(',');
  const last = specs.length - 1;
  if (!/^c\d+(x\d+)?$/.test(specs[last])) throw new Error(`the architecture must end in a plain conv (cN), got ${specs[last]}`);
  const layers: tfl.layers.Layer[] = [];
  const imageShape = [DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE, 3];
  for (const [i, spec] of specs.entries()) {
    const index = i + 1;
    const input = i === 0 && !transposed ? { inputShape: imageShape } : {};
    if (spec === 'p') {
      layers.push(tfl.layers.maxPooling2d({ name: `pool${index}`, poolSize: 2, ...input }));
      continue;
    }
    const match = /^([bc])(\d+)(?:x(\d+))?$/.exec(spec);
    if (match === null) throw new Error(`unknown layer "${spec}" in the architecture`);
    const normalized = match[1] === 'b';
    layers.push(
      tfl.layers.conv2d({
        name: i === last ? 'features' : `conv${index}`,
        filters: Number(match[2]),
        kernelSize: Number(match[3] ?? 3),
        padding: 'same',
        activation: normalized ? 'linear' : 'relu',
        useBias: !normalized,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed++ }),
        ...input,
      }),
    );
    if (normalized) {
      layers.push(tfl.layers.batchNormalization({ name: `bn${index}` }));
      layers.push(tfl.layers.activation({ name: `relu${index}`, activation: 'relu' }));
    }
  }
  const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' });
  const classes = tfl.layers.dense({
    name: 'classes',
    units: DEMO_CLASSES.length,
    activation: 'softmax',
    kernelInitializer: tfl.initializers.glorotUniform({ seed: seed++ }),
  });
  if (!transposed) return tfl.sequential({ name: 'demo_shapes', layers: [...layers, gap, classes] });

  const features = layers.pop() as tfl.layers.Layer;
  const trunk = (x: tfl.SymbolicTensor): tfl.SymbolicTensor => layers.reduce((t, layer) => layer.apply(t) as tfl.SymbolicTensor, x);
  const swap = (name: string): tfl.layers.Layer => tfl.layers.permute({ name, dims: [2, 1, 3] });
  const image = tfl.input({ shape: imageShape, name: 'image' });
  const other = swap('swap_back').apply(trunk(swap('swap').apply(image) as tfl.SymbolicTensor)) as tfl.SymbolicTensor;
  const both = tfl.layers.average({ name: 'both_ways' }).apply([trunk(image), other]) as tfl.SymbolicTensor;
  const output = classes.apply(gap.apply(features.apply(both))) as tfl.SymbolicTensor;
  return tfl.model({ name: 'demo_shapes', inputs: image, outputs: output });
}

/** Accuracy on `count` scenes from `seed` on, predicted in batches of 100. */
async function accuracy(model: tfl.LayersModel, count: number, seed: number): Promise<number> {
  let correct = 0;
  for (let start = 0; start < count; start += 100) {
    const n = Math.min(100, count - start);
    const { images, labels } = generateScenes(n, seed + start);
    const predicted = tf.tidy(() => tf.argMax(model.predict(images) as tf.Tensor2D, 1));
    const classes = await predicted.data();
    tf.dispose([images, predicted]);
    correct += labels.filter((label, i) => classes[i] === label).length;
  }
  return correct / count;
}

/**
 * The network's inputs and targets for one step: with --flips, scenes mirrored (see
 * {@link Options.flips}); with --hide, cells hidden (see {@link Options.hide}); with --smooth,
 * smoothed one-hot targets.
 */
function trainingBatch(images: tf.Tensor4D, labels: readonly number[], step: number, options: Options): { inputs: tf.Tensor4D; targets: tf.Tensor2D } {
  const classes = DEMO_CLASSES.length;
  const oneHot = tf.cast(tf.oneHot(tf.tensor1d([...labels], 'int32'), classes), 'float32');
  const targets = tf.add(tf.mul(oneHot, 1 - options.smooth), options.smooth / classes) as tf.Tensor2D;
  // Scene i of step s is mirrored left–right when bit 0 of i + s is set, upside down ('hv') when bit 1 is.
  const axes: ReadonlyArray<readonly [axis: 1 | 2, bit: number]> = options.flips === 'hv' ? [[2, 1], [1, 2]] : options.flips === 'h' ? [[2, 1]] : [];
  let inputs: tf.Tensor4D = tf.clone(images);
  for (const [axis, bit] of axes) {
    const mirrored = Array.from(labels, (_, i) => ((i + step) & bit) !== 0);
    const mask = tf.broadcastTo(tf.reshape(tf.tensor1d(mirrored, 'bool'), [labels.length, 1, 1, 1]), images.shape);
    inputs = tf.where(mask, tf.reverse(inputs, axis), inputs) as tf.Tensor4D;
  }
  if (options.hide > 0) {
    const cells = DEMO_IMAGE_SIZE / HIDE_CELL;
    const random = mulberry32(mixSeed(step));
    const keep = Array.from({ length: labels.length * cells * cells }, () => (random() < options.hide ? 0 : 1));
    const grid = tf.tensor4d(keep, [labels.length, cells, cells, 1]);
    const mask = tf.image.resizeNearestNeighbor(grid, [DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE]);
    const mean = tf.mean(inputs, [1, 2], true);
    inputs = tf.add(tf.mul(inputs, mask), tf.mul(mean, tf.sub(1, mask))) as tf.Tensor4D;
  }
  return { inputs, targets };
}

/** ADL's share of the peak above which a region is dropped. */
const ADL_THRESHOLD = 0.9;

/**
 * Attention-based dropout of activations `[N,H,W,C]`: scene i gets its region where the channel
 * mean is ≥ {@link ADL_THRESHOLD} × its maximum zeroed when `drop[i]`, else every position scaled
 * by sigmoid(channel mean).
 */
function attentionDrop(x: tf.Tensor4D, drop: readonly boolean[]): tf.Tensor4D {
  const attention = tf.mean(x, 3, true);
  const peak = tf.max(attention, [1, 2], true);
  const keep = tf.step(tf.sub(tf.mul(peak, ADL_THRESHOLD), attention));
  const chosen = tf.broadcastTo(tf.reshape(tf.tensor1d([...drop], 'bool'), [drop.length, 1, 1, 1]), attention.shape);
  return tf.mul(x, tf.where(chosen, keep, tf.sigmoid(attention))) as tf.Tensor4D;
}

/** Loads model.json + weights.bin from a directory (the files this script writes). */
async function loadModelDir(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const weights = readFileSync(join(dir, 'weights.bin'));
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
}

/** Cosine decay from `lr` to lr/50 over the run. */
function learningRate(options: Options, step: number): number {
  const floor = options.lr / 50;
  return floor + (options.lr - floor) * 0.5 * (1 + Math.cos((Math.PI * step) / options.steps));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  ensureGradientKernels(); // wasm lacks Conv2DBackpropFilter; the library supplies it
  installTrainingKernels(); // faster versions for the cases this model has (see below)
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;

  if (options.adl > 0 && options.transposed) throw new Error('--adl works on the plain (sequential) model only');
  const model = buildModel(options.arch, options.transposed);
  if (options.init !== undefined) model.setWeights((await loadModelDir(options.init)).getWeights());
  const optimizer = tf.train.adam(options.lr);
  // Cross-entropy alone: Keras's own training step (what the shipped model was trained with).
  // With --activity or --adl, a step of our own that also sees the 'features' activations.
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  // The same layers with two outputs: the activations the penalty needs, and the probabilities.
  const trainer = tfl.model({
    inputs: model.inputs,
    outputs: [model.getLayer('features').output as tfl.SymbolicTensor, model.outputs[0]],
  });
  const denseKernel = model.getLayer('classes').trainableWeights[0];
  // With --adl: the (sequential) model's layers one by one, with the dropout around 'features'.
  const forward = (inputs: tf.Tensor4D, step: number): tf.Tensor[] => {
    if (options.adl === 0) return trainer.apply(inputs, { training: true }) as tf.Tensor[];
    const random = mulberry32(mixSeed(1_000_003 * step + 7));
    const drop = (x: tf.Tensor): tf.Tensor => attentionDrop(x as tf.Tensor4D, Array.from({ length: x.shape[0] }, () => random() < options.adl));
    let x: tf.Tensor = inputs;
    let features = x;
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      if (layer.name === 'features') x = drop(x);
      x = layer.apply(x, { training: true }) as tf.Tensor;
      if (layer.name === 'features') x = features = drop(x);
    }
    return [features, x];
  };
  const customStep = async (inputs: tf.Tensor4D, targets: tf.Tensor2D, labels: readonly number[], step: number): Promise<[number, number]> => {
    let predicted: tf.Tensor | undefined;
    const loss = optimizer.minimize(() => {
      const [features, probabilities] = forward(inputs, step);
      predicted = tf.keep(tf.argMax(probabilities, 1));
      const crossEntropy = tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.log(tf.clipByValue(probabilities, 1e-7, 1))), -1)));
      if (options.activity === 0) return crossEntropy as tf.Scalar;
      const penalty = tf.add(tf.mean(tf.square(features)), tf.sum(tf.square(denseKernel.read())));
      return tf.add(crossEntropy, tf.mul(options.activity, penalty)) as tf.Scalar;
    }, true) as tf.Scalar;
    const classes = await (predicted as tf.Tensor).data();
    const value = (await loss.data())[0];
    tf.dispose([loss, predicted as tf.Tensor]);
    return [value, labels.filter((label, i) => classes[i] === label).length / labels.length];
  };
  console.log(`${model.countParams()} parameters; ${options.steps} steps of ${options.batch} fresh scenes`);

  let [lossSum, accSum, count] = [0, 0, 0];
  for (let step = 0; step < options.steps; step++) {
    // AdamOptimizer reads its learning rate at every step; tfjs offers no setter.
    (optimizer as unknown as { learningRate: number }).learningRate = learningRate(options, step);
    const { images, labels } = generateScenes(options.batch, TRAIN_SEED + step * options.batch);
    const { inputs, targets } = tf.tidy(() => trainingBatch(images, labels, step, options));
    const [lossValue, acc] =
      options.activity > 0 || options.adl > 0
        ? await customStep(inputs, targets, labels, step)
        : ((await model.trainOnBatch(inputs, targets)) as number[]);
    tf.dispose([images, inputs, targets]);
    [lossSum, accSum, count] = [lossSum + lossValue, accSum + acc, count + 1];
    if ((step + 1) % 100 === 0 || step + 1 === options.steps) {
      const line = `step ${step + 1}: loss ${(lossSum / count).toFixed(4)}, train acc ${(accSum / count).toFixed(3)}`;
      const check = (step + 1) % 400 === 0 ? `, held-out acc (300) ${(await accuracy(model, 300, HELD_OUT_SEED)).toFixed(3)}` : '';
      console.log(`${line}${check}, ${elapsed().toFixed(0)} s`);
      [lossSum, accSum, count] = [0, 0, 0];
    }
  }
  const trainSeconds = elapsed();
  const heldOut = await accuracy(model, options.heldOut, HELD_OUT_SEED);
  console.log(`held-out accuracy ${heldOut.toFixed(4)} on ${options.heldOut} scenes; training ${trainSeconds.toFixed(0)} s, total ${elapsed().toFixed(0)} s`);
  if (options.write) await save(model, options, { heldOut, trainSeconds });
}

/** Writes model.json + weights.bin to `options.out`, and embeds them when that is demo-model/. */
async function save(model: tfl.LayersModel, options: Options, scores: { heldOut: number; trainSeconds: number }): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (artifacts?.weightData === undefined || artifacts.weightSpecs === undefined) throw new Error('model.save gave no weights');
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  const extras = [
    options.activity > 0 ? ` --activity=${options.activity}` : '',
    options.smooth > 0 ? ` --smooth=${options.smooth}` : '',
    options.flips !== '' ? ` --flips=${options.flips}` : '',
    options.transposed ? ' --transposed' : '',
    options.hide > 0 ? ` --hide=${options.hide}` : '',
    options.adl > 0 ? ` --adl=${options.adl}` : '',
    options.init !== undefined ? ` --init=${options.init}` : '',
  ].join('');
  const flags = `--steps=${options.steps} --batch=${options.batch} --lr=${options.lr} --arch=${options.arch}${extras}`;
  const modelJson: tf.io.ModelJSON = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology as object,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    userDefinedMetadata: {
      classes: [...DEMO_CLASSES],
      trainedWith: `npm run train-demo-model -- ${flags}`,
      backend: 'wasm',
      heldOutAccuracy: scores.heldOut,
      heldOutScenes: `${options.heldOut} scenes from seed ${HELD_OUT_SEED}`,
      trainingSeconds: Math.round(scores.trainSeconds),
    },
  };
  mkdirSync(options.out, { recursive: true });
  writeFileSync(`${options.out}model.json`, `${JSON.stringify(modelJson, null, 1)}\n`);
  writeFileSync(`${options.out}weights.bin`, weights);
  console.log(`wrote ${options.out}model.json and weights.bin (${weights.length} bytes)`);
  if (resolve(options.out) === resolve(MODEL_DIR)) {
    embedDemoModel();
    console.log('embedded them as src/demo/demo-model-data.ts');
  }
}

// ---------------------------------------------------------------------------------------------
// Faster training kernels for wasm. Training with the library's Conv2DBackpropFilter and wasm's
// own Conv2DBackpropInput works but takes ~5× longer here; these cover what this model needs
// (stride 1, 'same' padding, odd square kernels; a whole-block Tile) and pass anything else to the
// kernels installed before them. They give the same gradients up to float rounding.

type Info = tf.TensorInfo;

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(t: Info): tf.backend_util.TypedArray;
  disposeData(dataId: object): boolean;
}

/** Runs another registered wasm kernel on TensorInfos. */
function run(name: string, inputs: Record<string, Info>, attrs: object, backend: WasmBackend): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`no wasm ${name}`);
  return kernel.kernelFunc({ inputs, attrs, backend } as unknown as Parameters<tf.KernelFunc>[0]) as Info;
}

/** Whether a stride attribute is 1 in both directions. */
const unitStride = (s: number | [number, number]): boolean => (Array.isArray(s) ? s[0] === 1 && s[1] === 1 : s === 1);

/** Whether a convolution's gradient is one the fast kernels below cover: stride 1, 'same', an odd square kernel, NHWC. */
function fastCase(attrs: tf.Conv2DBackpropFilterAttrs | tf.Conv2DBackpropInputAttrs, kh: number, kw: number): boolean {
  return unitStride(attrs.strides) && attrs.pad === 'same' && kh === kw && kh % 2 === 1 && (attrs.dataFormat ?? 'NHWC') === 'NHWC';
}

/**
 * Installs the training kernels over those registered for wasm. The library's
 * Conv2DBackpropFilter (an im2col through a one-hot convolution) costs 9·C_in/C_out times a
 * forward convolution, and wasm's own Conv2DBackpropInput is a plain loop; these are each one
 * XNNPACK convolution:
 *
 * - dx = conv(dy, W flipped in space, in/out channels swapped), 'same' padding;
 * - dW = conv(x padded, transposed to [C_in, H, W, N], dy transposed to [H, W, N, C_out] as the
 *   filter), 'valid' padding → [C_in, kh, kw, C_out], transposed to [kh, kw, C_in, C_out].
 */
function installTrainingKernels(): void {
  const previousFilter = tf.getKernel(tf.Conv2DBackpropFilter, 'wasm');
  const previousInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  if (previousFilter === undefined || previousInput === undefined) throw new Error('call ensureGradientKernels() first');
  const conv = { dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined, strides: 1 };

  const filterGrad: tf.KernelFunc = (args) => {
    const { x, dy } = args.inputs as unknown as { x: Info; dy: Info };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const [kh, kw] = attrs.filterShape;
    if (!fastCase(attrs, kh, kw)) {
      return previousFilter.kernelFunc(args);
    }
    const backend = args.backend as unknown as WasmBackend;
    const p = (kh - 1) / 2;
    const padded = run('PadV2', { x }, { paddings: [[0, 0], [p, p], [p, p], [0, 0]], constantValue: 0 }, backend);
    const xt = run('Transpose', { x: padded }, { perm: [3, 1, 2, 0] }, backend);
    const dyt = run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, backend);
    const product = run('Conv2D', { x: xt, filter: dyt }, { ...conv, pad: 'valid' }, backend);
    const dw = run('Transpose', { x: product }, { perm: [1, 2, 0, 3] }, backend);
    for (const t of [padded, xt, dyt, product]) backend.disposeData(t.dataId);
    return dw;
  };
  const inputGrad: tf.KernelFunc = (args) => {
    const { dy, filter } = args.inputs as unknown as { dy: Info; filter: Info };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const [kh, kw] = filter.shape;
    if (!fastCase(attrs, kh, kw)) {
      return previousInput.kernelFunc(args);
    }
    const backend = args.backend as unknown as WasmBackend;
    const flipped = run('Reverse', { x: filter }, { dims: [0, 1] }, backend);
    const swapped = run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }, backend);
    const dx = run('Conv2D', { x: dy, filter: swapped }, { ...conv, pad: 'same' }, backend);
    for (const t of [flipped, swapped]) backend.disposeData(t.dataId);
    return dx;
  };
  // Batch normalization's gradient tiles a [1,1,1,C] tensor to [N,H,W,C] (tfjs-core), which
  // wasm's general Tile does slowly: when the output is the input repeated whole, copy it.
  const previousTile = tf.getKernel(tf.Tile, 'wasm');
  if (previousTile === undefined) throw new Error('wasm has no Tile kernel');
  const tile: tf.KernelFunc = (args) => {
    const { x } = args.inputs as unknown as { x: Info };
    const { reps } = args.attrs as unknown as tf.TileAttrs;
    const lastRepeated = reps.reduce((last, r, i) => (r > 1 ? i : last), -1);
    const firstSized = x.shape.findIndex((d) => d > 1);
    if (x.dtype !== 'float32' || (firstSized !== -1 && firstSized <= lastRepeated)) return previousTile.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(
      x.shape.map((d, i) => d * reps[i]),
      'float32',
    );
    const [source, target] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
    target.set(source);
    for (let filled = source.length; filled > 0 && filled < target.length; filled *= 2) {
      target.copyWithin(filled, 0, Math.min(filled, target.length - filled));
    }
    return out;
  };
  const kernels = [
    [tf.Conv2DBackpropFilter, filterGrad],
    [tf.Conv2DBackpropInput, inputGrad],
    [tf.Tile, tile],
  ] as const;
  for (const [name, kernelFunc] of kernels) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
