import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { CAM_METHODS, GradCam, type GradCamResult, guidedBackprop } from '../../src';
import { conv, dense } from '../helpers/models';
import { RUNS, allFinite, dataFor, expectGradCamError, holds, notATensor, range } from './arbitraries';

/**
 * GradCam.explain and explainTopK under random inputs and option combinations, valid and not,
 * on the cpu backend. The result is either correct in shape and range (finite heatmaps, in
 * [0,1] unless `normalize: false`; one class and one finite score per image) or a GradCamError
 * with a code; a callback's own error comes through unchanged; no tensor leaks either way and
 * the model is not changed. RUNS (100) seeded cases per property; a case may run several
 * explanations (augSmooth, ScoreCAM, top-k).
 */
const K = 3;
let model: tfl.LayersModel;
let explainer: GradCam;
beforeAll(() => {
  // Free spatial size, so any H×W (1×1 and non-square included) is a valid input.
  model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [null, null, 3] }), conv('c1', 4), conv('c2', 3), tfl.layers.globalAveragePooling2d({}), dense('out', K)] });
  explainer = new GradCam(model, { layerName: 'c2' });
});
afterAll(() => {
  explainer.dispose();
  model.dispose();
});

/** A callback's own error: it must reach the caller as it is. */
class CallbackError extends Error {}

/** Mostly a valid value, now and then an invalid one. */
function field(valid: fc.Arbitrary<unknown>, invalid: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 10, arbitrary: valid }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
}

const JUNK = ['yes', 0, 1, null, Number.NaN, {}, [true]];
const flag = field(fc.constantFrom(undefined, true, false), JUNK);
const validTarget = (out: tf.Tensor): tf.Tensor => tf.squeeze(tf.slice(out, [0, 1], [-1, 1]), [1]);
const badTargets = [
  (out: tf.Tensor) => tf.slice(out, [0, 1], [-1, 1]), // [N,1], not [N]
  () => 3,
  () => {
    throw new CallbackError('target failed');
  },
  'sum',
];

/** explain's options: each field absent, mostly valid, sometimes not; target and classIndex mostly not both. */
const optionsArb = fc
  .tuple(
    fc.record(
      {
        method: field(fc.constantFrom(...CAM_METHODS), ['gradcam+', 7, null]),
        classIndex: field(fc.oneof(fc.integer({ min: 0, max: K - 1 }), fc.constantFrom(1, 2, 8).chain((n) => fc.array(fc.integer({ min: 0, max: K - 1 }), { minLength: n, maxLength: n }))), [-1, K, 0.5, Number.NaN, '1', null, {}]),
        target: field(fc.constant(validTarget), badTargets),
        score: field(fc.constantFrom('logit', 'probability'), ['softmax']),
        counterfactual: fc.oneof({ weight: 4, arbitrary: fc.constantFrom<unknown>(undefined, false) }, { weight: 1, arbitrary: flag }),
        relu: flag,
        normalize: flag,
        eigenSmooth: flag,
        augSmooth: fc.oneof({ weight: 1, arbitrary: fc.constant<unknown>(true) }, { weight: 5, arbitrary: flag }),
        batchSize: field(fc.integer({ min: 1, max: 40 }), [0, -2, 2.5, '8', Number.NaN, Infinity]),
        onProgress: field(fc.constant(() => undefined), [42, 'log', null]),
      },
      { requiredKeys: [] },
    ),
    fc.integer({ min: 0, max: 9 }),
  )
  .map(([o, both]): Record<string, unknown> => {
    if (o.target === undefined || o.classIndex === undefined || both === 0) return o;
    const { classIndex: _dropped, ...rest } = o;
    return rest;
  });

/** An input: a [N,H,W,C] or [H,W,C] tensor (C mostly 3) of finite values, now and then with a NaN or ±Infinity put in. */
const inputArb = fc
  .record({
    n: fc.constantFrom(1, 2, 8),
    h: fc.integer({ min: 1, max: 7 }),
    w: fc.integer({ min: 1, max: 7 }),
    c: fc.oneof({ weight: 8, arbitrary: fc.constant(3) }, { weight: 1, arbitrary: fc.constantFrom(1, 4) }),
    batched: fc.boolean(),
    poison: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(Number.NaN, Infinity, -Infinity)) }),
  })
  .chain((s) => {
    const shape = s.batched ? [s.n, s.h, s.w, s.c] : [s.h, s.w, s.c];
    const size = shape.reduce((a, b) => a * b, 1);
    return dataFor(size).map((data) => {
      if (s.poison !== undefined) data[s.poison[0] % size] = s.poison[1];
      return { shape, data };
    });
  });
const inputOrJunk = fc.oneof({ weight: 12, arbitrary: inputArb as fc.Arbitrary<{ shape: number[]; data: number[] } | { junk: unknown }> }, { weight: 1, arbitrary: notATensor.map((j) => ({ junk: j })) });

/** Checks a result against what explain promises for this input and these options. */
function checkResult(r: GradCamResult, shape: number[], options: Record<string, unknown>, input: number[]): void {
  const [n, h, w] = shape.length === 4 ? shape : [1, ...shape];
  expect(allFinite(input)).toBe(true); // NaN/±Infinity inputs must have been refused
  expect(r.heatmap.shape).toEqual([n, h, w]);
  const heat = r.heatmap.dataSync();
  expect(allFinite(heat)).toBe(true);
  if (options.normalize !== false) {
    expect(range(heat)[0]).toBeGreaterThanOrEqual(0);
    expect(range(heat)[1]).toBeLessThanOrEqual(1);
  }
  expect(r.cams).toHaveLength(1);
  expect(r.cam.shape).toEqual([n, h, w]); // 'same' convolutions keep the size
  expect(allFinite(r.cam.dataSync())).toBe(true);
  expect(r.classIndex).toHaveLength(n);
  expect(r.scores).toHaveLength(n);
  expect(r.scores.every(Number.isFinite)).toBe(true);
  const fromTarget = options.target !== undefined;
  r.classIndex.forEach((c) => expect(fromTarget ? c === -1 : Number.isInteger(c) && c >= 0 && c < K).toBe(true));
  expect(r.layerName).toBe('c2');
}

describe(`GradCam.explain and explainTopK: ${RUNS} seeded cases per property`, () => {
  it('explain: a correct result or a GradCamError for any input and options; nothing leaks', () => {
    const tally = new Map<string, number>();
    const ran = holds(
      fc.property(inputOrJunk, fc.oneof({ weight: 12, arbitrary: optionsArb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'fast', 3) }), (inputSpec, rawOptions) => {
        const options = rawOptions as Record<string, unknown> | null;
        const input = 'junk' in inputSpec ? inputSpec.junk : tf.tensor(inputSpec.data, inputSpec.shape);
        const before = tf.memory().numTensors - (input instanceof tf.Tensor ? 1 : 0);
        try {
          let result: GradCamResult | undefined;
          try {
            result = explainer.explain(input as tf.Tensor, options as never);
            tally.set('result', (tally.get('result') ?? 0) + 1);
          } catch (err) {
            if (!(err instanceof CallbackError)) expectGradCamError(err);
            const code = err instanceof CallbackError ? 'callback error' : (err as { code: string }).code;
            tally.set(code, (tally.get(code) ?? 0) + 1);
          }
          if (result !== undefined) {
            try {
              expect('junk' in inputSpec).toBe(false);
              const spec = inputSpec as { shape: number[]; data: number[] };
              checkResult(result, spec.shape, options ?? {}, spec.data);
            } finally {
              result.dispose();
            }
          }
        } finally {
          if (input instanceof tf.Tensor) input.dispose();
        }
        expect(tf.memory().numTensors).toBe(before);
      }),
    );
    expect(ran).toBe(RUNS);
    // The cases reach both halves of the contract (counts over all runs, shrinking excluded).
    console.log(`explain outcomes over ${RUNS} cases: ${JSON.stringify(Object.fromEntries(tally))}`);
    expect(tally.get('result') ?? 0).toBeGreaterThanOrEqual(RUNS / 5);
    expect(tally.get('NON_FINITE_INPUT') ?? 0).toBeGreaterThan(0);
    expect(tally.get('BAD_OPTION') ?? 0).toBeGreaterThan(0);
  });

  it('explainTopK: k results of every image’s k best classes, or a GradCamError; nothing leaks', () => {
    const kArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: K }) as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0, K + 1, 1.5, Number.NaN, '2', null) });
    const topKOptions = optionsArb.map((o) => {
      const { classIndex: _c, target: _t, augSmooth: _a, ...rest } = o;
      return rest;
    });
    let succeeded = 0;
    holds(
      fc.property(inputArb, kArb, topKOptions, (spec, k, options) => {
        const input = tf.tensor(spec.data, spec.shape);
        const before = tf.memory().numTensors;
        let results: GradCamResult[] | undefined;
        try {
          results = explainer.explainTopK(input, k as number, options as never);
          succeeded++;
        } catch (err) {
          expectGradCamError(err);
        }
        if (results !== undefined) {
          try {
            expect(results).toHaveLength(k as number);
            results.forEach((r) => checkResult(r, spec.shape, options, spec.data));
            // Result r holds each image's r-th best class: distinct classes per image.
            const n = results[0].classIndex.length;
            for (let i = 0; i < n; i++) expect(new Set(results.map((r) => r.classIndex[i])).size).toBe(k);
          } finally {
            results.forEach((r) => r.dispose());
          }
        }
        expect(tf.memory().numTensors).toBe(before);
        input.dispose();
      }),
    );
    expect(succeeded).toBeGreaterThanOrEqual(RUNS / 5); // results were checked, not only errors
  });

  it('guidedBackprop: [N,H,W,3] finite saliency or a GradCamError, for any input and classIndex', () => {
    const classArb = fc.oneof(fc.constant<unknown>(undefined), fc.integer({ min: -1, max: K }), fc.constantFrom<unknown>(1.5, null, 'x', [0, 1]));
    let succeeded = 0;
    holds(
      fc.property(inputArb, classArb, (spec, classIndex) => {
        const input = tf.tensor(spec.data, spec.shape);
        const before = tf.memory().numTensors;
        try {
          const r = guidedBackprop(model, input, { classIndex: classIndex as number });
          const [n, h, w] = spec.shape.length === 4 ? spec.shape : [1, ...spec.shape];
          expect(r.saliency.shape).toEqual([n, h, w, 3]);
          expect(allFinite(r.saliency.dataSync())).toBe(true);
          expect(allFinite(spec.data)).toBe(true);
          r.dispose();
          succeeded++;
        } catch (err) {
          expectGradCamError(err);
        }
        expect(tf.memory().numTensors).toBe(before);
        input.dispose();
      }),
    );
    expect(succeeded).toBeGreaterThanOrEqual(RUNS / 5);
  });
});
