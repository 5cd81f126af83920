import * as tf from '@tensorflow/tfjs-core';
import { camToHeatmap } from '../../src/core/heatmap';
import { firstComponentProjection } from '../../src/core/projection';
import { eigenCam } from '../../src/methods/eigencam';
import { eigenGradCam } from '../../src/methods/eigengradcam';
import type { MethodInputs, MethodOutput } from '../../src/methods/method';
import { FIXTURE_NAMES, type FlatArray, type ParityCase, loadFixture, maxAbsDiff, relativeDiff, toTensor } from '../helpers/fixtures';

/** The EigenCAM extras each parity case carries (see test/fixtures/parity/README.md). */
interface EigenCase extends ParityCase {
  eigencam: {
    singular_values_top3: number[];
    numpy_VT0: number[];
    numpy_VT0_sum_sign: number;
    projection_max_abs_is_positive: boolean;
    heatmap_negated_projection: FlatArray;
  };
}

/** MethodInputs with only activations (and optionally gradients): anything else throws. */
function minimalInputs(activations: tf.Tensor4D, gradients?: tf.Tensor4D): MethodInputs {
  const unused = (what: string): never => {
    throw new Error(`test: ${what} must not be used`);
  };
  return {
    activations,
    gradients,
    get images(): tf.Tensor4D {
      return unused('images');
    },
    get scores(): tf.Tensor1D {
      return unused('scores');
    },
    scoreActivations: () => unused('scoreActivations'),
    scoreImages: () => unused('scoreImages'),
    gapClassWeights: () => unused('gapClassWeights'),
    get batchSize(): number {
      return unused('batchSize');
    },
    progress: () => unused('progress'),
  };
}

function mapOf(out: MethodOutput): tf.Tensor3D {
  if (!('map' in out)) throw new Error('expected a map output');
  return out.map;
}

/** numpy's (float64) projection of one image: (A − mean_rows A) @ VT[0]. */
function numpyProjection(act: FlatArray, vt0: number[]): { proj: number[]; corr: number } {
  const [h, w, C] = act.shape;
  const P = h * w;
  const mean = new Array<number>(C).fill(0);
  for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) mean[c] += act.data[p * C + c] / P;
  const proj = new Array<number>(P).fill(0);
  let corr = 0;
  for (let p = 0; p < P; p++) {
    let channelMean = 0;
    for (let c = 0; c < C; c++) {
      proj[p] += (act.data[p * C + c] - mean[c]) * vt0[c];
      channelMean += act.data[p * C + c] / C;
    }
    corr += proj[p] * channelMean;
  }
  return { proj, corr };
}

describe('EigenCAM parity with pytorch-grad-cam', () => {
  // Which sign our rule picks, per fixture image (recorded from these runs): plain image 0 —
  // the opposite of numpy's (numpy's VT[0] sums negative there and its projection correlates
  // negatively with the channel mean, its largest |value| negative); plain image 1 and both dw
  // images — the same as numpy's. In every case our map's largest |value| is positive.
  for (const name of FIXTURE_NAMES) {
    const fx = loadFixture(name);
    const target = fx.targets[0];
    const [H, W] = fx.model.input.shape;
    for (const c of target.cases as EigenCase[]) {
      it(`${name}: image ${c.image}, class ${c.class} (${c.class_role})`, () => {
        const act = target.activations[c.image];
        const x = tf.tidy(() => tf.expandDims(toTensor(act), 0) as tf.Tensor4D);
        const before = tf.memory().numTensors;
        const map = mapOf(eigenCam.compute(minimalInputs(x)));
        expect(map.shape).toEqual([1, act.shape[0], act.shape[1]]);
        const raw = tf.relu(map) as tf.Tensor3D;
        const rawNeg = tf.tidy(() => tf.relu(tf.neg(map)) as tf.Tensor3D);
        const ref = c.raw_maps.EigenCAM.data;
        const errSame = relativeDiff(raw, ref);
        const errFlip = relativeDiff(rawNeg, ref);
        expect(Math.min(errSame, errFlip)).toBeLessThanOrEqual(1e-4);
        const sameSign = errSame <= errFlip;

        // Our rule: the projection correlates non-negatively with the channel mean; numpy's
        // sign agrees with ours exactly when its projection does too.
        const np = numpyProjection(act, c.eigencam.numpy_VT0);
        expect(sameSign).toBe(np.corr > 0);
        // The fixture's own record of numpy's sign, consistent with the above.
        const npMaxAbsPositive = Math.max(...np.proj) >= -Math.min(...np.proj);
        expect(npMaxAbsPositive).toBe(c.eigencam.projection_max_abs_is_positive);
        const ours = map.dataSync();
        expect(Math.max(...ours)).toBeGreaterThan(-Math.min(...ours));

        const heat = camToHeatmap(raw, [H, W]);
        const heatRef = sameSign ? c.heatmaps.EigenCAM : c.eigencam.heatmap_negated_projection;
        const heatOther = sameSign ? c.eigencam.heatmap_negated_projection : c.heatmaps.EigenCAM;
        expect(maxAbsDiff(heat, heatRef.data)).toBeLessThanOrEqual(1e-4);
        expect(maxAbsDiff(heat, heatOther.data)).toBeGreaterThan(1e-2); // the two signs differ

        tf.dispose([map, raw, rawNeg, heat]);
        expect(tf.memory().numTensors).toBe(before);
        x.dispose();
      });
    }
  }
});

describe('EigenCAM and EigenGradCAM methods', () => {
  const shape: [number, number, number, number] = [2, 3, 4, 5];
  const size = shape.reduce((a, b) => a * b, 1);
  const values = (f: (i: number) => number): number[] => Array.from({ length: size }, (_, i) => f(i));
  const acts = values((i) => Math.abs(Math.sin(i * 1.3)) * ((i % 7) + 1));
  const grads = values((i) => Math.cos(i * 0.7) - 0.2);

  it('declare their names and whether they need gradients', () => {
    expect(eigenCam.name).toBe('eigencam');
    expect(eigenCam.needsGradients).toBe(false);
    expect(eigenGradCam.name).toBe('eigengradcam');
    expect(eigenGradCam.needsGradients).toBe(true);
  });

  it('EigenCAM is the projection of the activations, before ReLU', () => {
    const a = tf.tensor4d(acts, shape);
    const before = tf.memory().numTensors;
    const map = mapOf(eigenCam.compute(minimalInputs(a)));
    const expected = firstComponentProjection(a);
    expect(map.shape).toEqual([2, 3, 4]);
    expect(Array.from(map.dataSync())).toEqual(Array.from(expected.dataSync()));
    expect(Array.from(map.dataSync()).some((v) => v < 0)).toBe(true); // not ReLU'd
    tf.dispose([map, expected]);
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });

  it('EigenGradCAM is the projection of g·A', () => {
    const a = tf.tensor4d(acts, shape);
    const g = tf.tensor4d(grads, shape);
    const before = tf.memory().numTensors;
    const map = mapOf(eigenGradCam.compute(minimalInputs(a, g)));
    const product = tf.mul(g, a) as tf.Tensor4D;
    const expected = firstComponentProjection(product);
    expect(map.shape).toEqual([2, 3, 4]);
    expect(Array.from(map.dataSync())).toEqual(Array.from(expected.dataSync()));
    // …and not the projection of A alone.
    const ofActs = firstComponentProjection(a);
    expect(maxAbsDiff(map, ofActs.dataSync())).toBeGreaterThan(1e-2);
    tf.dispose([map, product, expected, ofActs]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, g]);
  });

  it('EigenGradCAM without gradients is an internal error', () => {
    const a = tf.tensor4d(acts, shape);
    expect(() => eigenGradCam.compute(minimalInputs(a))).toThrow(/eigengradcam needs gradients/);
    a.dispose();
  });
});
