import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadModel } from '../../src';
import { rejectionWithoutLeak } from '../helpers/expect';

/**
 * `loadModel` builds a layers model without running its weight initializers (they are
 * overwritten by the strict weight load), keeps its config as it was, and falls back to the
 * initializers where tfjs-layers cannot take the faster route (a model nested in a Sequential).
 */
let initializerCalls = 0;
type Initializer = Parameters<tfl.layers.Layer['addWeight']>[3];
/** An initializer that counts its calls (ones, so an unset weight would show in the output). */
const countingOnes = { apply: (shape: number[]) => ((initializerCalls += 1), tf.ones(shape)), getConfig: () => ({}) } as unknown as Initializer;

/** x·w with one weight made by `countingOnes`. */
class CountedDense extends tfl.layers.Layer {
  static className = 'TestCountedDense';
  private w: ReturnType<tfl.layers.Layer['addWeight']> | undefined;
  constructor(args: { units: number; name?: string; inputShape?: number[] }) {
    super(args);
    this.units = args.units;
  }
  readonly units: number;
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    this.w = this.addWeight('w', [shape[shape.length - 1] as number, this.units], 'float32', countingOnes);
    this.built = true;
  }
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [...(inputShape as tfl.Shape).slice(0, -1), this.units];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.matMul(x as tf.Tensor2D, (this.w as NonNullable<typeof this.w>).read() as tf.Tensor2D);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }
}
tf.serialization.registerClass(CountedDense);

/** Random weights, so a weight left at its initial value (ones or zeros) changes the output. */
function randomized(model: tfl.LayersModel): tfl.LayersModel {
  model.setWeights(model.getWeights().map((w) => tf.tidy(() => tf.randomNormal(w.shape, 0, 1, 'float32', 7))));
  return model;
}
const functional = (): tfl.LayersModel => {
  const input = tfl.input({ shape: [4] });
  const hidden = new CountedDense({ units: 3, name: 'hidden' }).apply(input) as tfl.SymbolicTensor;
  return randomized(tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2, name: 'out' }).apply(hidden) as tfl.SymbolicTensor }));
};
const sequential = (): tfl.LayersModel => randomized(tfl.sequential({ layers: [new CountedDense({ units: 3, inputShape: [4] }), tfl.layers.dense({ units: 2 })] }));
const nestedFunctional = (): tfl.LayersModel => {
  const input = tfl.input({ shape: [4] });
  const inner = functional();
  return randomized(tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 1, name: 'head' }).apply(inner.apply(input) as tfl.SymbolicTensor) as tfl.SymbolicTensor }));
};
const sequentialInSequential = (): tfl.LayersModel => randomized(tfl.sequential({ layers: [sequential(), tfl.layers.dense({ units: 1 })] }));

async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts = {};
  await model.save({ save: async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) });
  return saved;
}
const handler = (artifacts: tf.io.ModelArtifacts): tf.io.IOHandler => ({ load: async () => artifacts });

/** Saves `model`, loads it with `loadModel`; checks outputs and config; returns how many times `countingOnes` ran while loading. */
async function initializerCallsLoading(model: tfl.LayersModel): Promise<number> {
  const artifacts = await artifactsOf(model);
  initializerCalls = 0;
  const loaded = await loadModel(handler(artifacts));
  const calls = initializerCalls;
  const x = tf.randomNormal([2, 4], 0, 1, 'float32', 3);
  const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
  expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  expect(loaded.getConfig()).toEqual(model.getConfig());
  tf.dispose([x, a, b]);
  model.dispose();
  loaded.dispose();
  return calls;
}

describe('loadModel skips weight initializers the weight load overwrites', () => {
  it('a functional model: no initializer runs, same outputs and config', async () => {
    expect(await initializerCallsLoading(functional())).toBe(0);
  });

  it('a Sequential model: no initializer runs, same outputs and config', async () => {
    expect(await initializerCallsLoading(sequential())).toBe(0);
  });

  it('a functional model nested in a functional model: no initializer runs', async () => {
    expect(await initializerCallsLoading(nestedFunctional())).toBe(0);
  });

  it('a Sequential nested in a Sequential still loads (with its initializers: tfjs-layers has no fast route there)', async () => {
    expect(await initializerCallsLoading(sequentialInSequential())).toBeGreaterThan(0);
  });

  it('a weight missing from the file still fails the load (no zeros left in place) and frees everything', async () => {
    const model = functional();
    const artifacts = await artifactsOf(model);
    model.dispose();
    const specs = artifacts.weightSpecs ?? [];
    const withoutHidden = { ...artifacts, weightSpecs: specs.slice(1), weightData: (artifacts.weightData as ArrayBuffer).slice(4 * 4 * 3) };
    expect(specs[0].name).toBe('hidden/w');
    const err = await rejectionWithoutLeak(() => loadModel(handler(withoutHidden)));
    expect(err.message).toMatch(/1 of 3 weights are not set: hidden\/w/);
  });
});
