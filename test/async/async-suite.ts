import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  CAM_METHODS,
  type ExplainOptions,
  GradCam,
  GradCamError,
  type GradCamResult,
  guidedBackprop,
  guidedBackpropAsync,
} from '../../src';
import { FIXTURE_NAMES, type Fixture, buildFixtureModel, loadFixture, maxAbsDiff, toTensor } from '../helpers/fixtures';
import { watchSyncReads } from '../helpers/sync-reads';

/** The async calls must give the sync calls' numbers: the same pipeline, read back differently. */
const TOLERANCE = 1e-6;

/** A sync call's outcome, or its error's code and message. */
type Outcome<T> = { value: T } | { code: string; message: string };

function outcomeOf<T>(call: () => T): Outcome<T> {
  try {
    return { value: call() };
  } catch (err) {
    if (!(err instanceof GradCamError)) throw err;
    return { code: err.code, message: err.message };
  }
}

/** Every number of a result, read after the fact (outside any watched call). */
function snapshot(r: GradCamResult): { heatmap: Float32Array; cams: Float32Array[]; classIndex: number[]; scores: number[] } {
  return {
    heatmap: r.heatmap.dataSync() as Float32Array,
    cams: r.cams.map((c) => c.dataSync() as Float32Array),
    classIndex: r.classIndex,
    scores: r.scores,
  };
}

function expectSameResult(actual: GradCamResult, expected: GradCamResult): void {
  const a = snapshot(actual);
  const e = snapshot(expected);
  expect(maxAbsDiff(a.heatmap, e.heatmap)).toBeLessThanOrEqual(TOLERANCE);
  expect(a.cams.length).toBe(e.cams.length);
  a.cams.forEach((cam, i) => expect(maxAbsDiff(cam, e.cams[i])).toBeLessThanOrEqual(TOLERANCE));
  expect(a.classIndex).toEqual(e.classIndex);
  expect(maxAbsDiff(a.scores, e.scores)).toBeLessThanOrEqual(TOLERANCE);
  expect([actual.layerName, actual.method, actual.layerNames]).toEqual([expected.layerName, expected.method, expected.layerNames]);
  expect(actual.heatmap.shape).toEqual(expected.heatmap.shape);
}

/**
 * Runs the async call watched for synchronous reads, then the sync call, and checks: no
 * synchronous read, the same result (or the same error), no tensor left behind.
 */
async function expectAsyncMatchesSync<T extends GradCamResult | GradCamResult[]>(
  asyncCall: () => Promise<T>,
  syncCall: () => T,
): Promise<void> {
  const before = tf.memory().numTensors;
  const watched = await watchSyncReads(asyncCall);
  expect(watched.syncReads).toEqual([]);
  const expected = outcomeOf(syncCall);
  if ('value' in expected) {
    expect(watched.error).toBeUndefined();
    const got = ([] as GradCamResult[]).concat(watched.value as T);
    const want = ([] as GradCamResult[]).concat(expected.value);
    expect(got.length).toBe(want.length);
    got.forEach((r, i) => expectSameResult(r, want[i]));
    for (const r of [...got, ...want]) r.dispose();
  } else {
    expect(watched.error).toBeInstanceOf(GradCamError);
    const err = watched.error as GradCamError;
    expect({ code: err.code, message: err.message }).toEqual(expected);
  }
  expect(tf.memory().numTensors).toBe(before);
}

/** Calls `call`, which must not throw synchronously, and expects its promise to reject with `code`; nothing leaks. */
async function expectRejects(call: () => Promise<unknown>, code: string): Promise<void> {
  const before = tf.memory().numTensors;
  let promise: Promise<unknown> | undefined;
  expect(() => {
    promise = call();
  }).not.toThrow();
  const watched = await watchSyncReads(() => promise as Promise<unknown>);
  expect(watched.error).toBeInstanceOf(GradCamError);
  expect((watched.error as GradCamError).code).toBe(code);
  expect(watched.syncReads).toEqual([]);
  expect(tf.memory().numTensors).toBe(before);
}

/** A parity fixture's model, its explainer and its images `[N,H,W,3]`, opened before and freed after the enclosing describe. */
function openedFixture(name: string): { fx: Fixture; model: tfl.LayersModel; gc: GradCam; batch: tf.Tensor4D } {
  const opened = {} as ReturnType<typeof openedFixture>;
  beforeAll(() => {
    opened.fx = loadFixture(name);
    opened.model = buildFixtureModel(opened.fx);
    opened.gc = new GradCam(opened.model, { layerName: opened.fx.targets[0].layer });
    opened.batch = tf.concat(opened.fx.images.map((img) => toTensor(img.tensor) as tf.Tensor4D));
  });
  afterAll(() => {
    opened.gc.dispose();
    opened.model.dispose();
    opened.batch.dispose();
  });
  return opened;
}

const PERTURBATION: readonly string[] = ['scorecam', 'ablationcam'];

/**
 * @param fixtures the parity fixtures to run on: all of them by default.
 * @param heavyOn the fixtures on which the costly checks run too (ScoreCAM and AblationCAM,
 *   guided backpropagation, the overlapping calls): all of them by default; the cpu backend,
 *   ~30× slower than wasm here, runs them on the first fixture only.
 */
export function describeAsyncSuite(fixtures: readonly string[] = FIXTURE_NAMES, heavyOn: readonly string[] = fixtures): void {
  describe.each(fixtures)('explainAsync equals explain: %s', (name) => {
    const f = openedFixture(name);
    const heavy = heavyOn.includes(name);

    // batchSize 8: the perturbation methods run several chunks, so the async run pauses between
    // them. They are slow on cpu: one class each (the top class is found alike for every method).
    const methods = CAM_METHODS.filter((m) => heavy || !PERTURBATION.includes(m));
    it.each(methods)('%s: the same maps, classes and scores, with no synchronous read', async (method) => {
      const second = f.fx.images.map((img) => img.second);
      const perturbation = PERTURBATION.includes(method);
      const cases: ExplainOptions[] = perturbation ? [{ method, batchSize: 8, classIndex: second }] : [{ method }, { method, classIndex: second }];
      for (const options of cases) {
        await expectAsyncMatchesSync(
          () => f.gc.explainAsync(f.batch, options),
          () => f.gc.explain(f.batch, options),
        );
      }
    });

    const variants: Array<[string, ExplainOptions]> = [
      ['augSmooth', { augSmooth: true }],
      ['eigenSmooth + counterfactual', { method: 'gradcam++', eigenSmooth: true, counterfactual: true }],
      ['score: probability, no relu, no normalization', { score: 'probability', relu: false, normalize: false }],
      ['a target function', { method: 'layercam', target: (out) => tf.sum(out, 1) as tf.Tensor1D }],
    ];
    it.each(variants)('gradcam with %s', async (_, options) => {
      await expectAsyncMatchesSync(
        () => f.gc.explainAsync(f.batch, options),
        () => f.gc.explain(f.batch, options),
      );
    });

    it('explainTopKAsync equals explainTopK (gradcam, and ablationcam where heavy)', async () => {
      for (const options of heavy ? ([{}, { method: 'ablationcam', batchSize: 8 }] as const) : [{}]) {
        await expectAsyncMatchesSync(
          () => f.gc.explainTopKAsync(f.batch, 3, options),
          () => f.gc.explainTopK(f.batch, 3, options),
        );
      }
    });

    it('several target layers: explainAsync equals explain', async () => {
      const layers = f.fx.model.layers.filter((l) => l.type.startsWith('conv') || l.type.startsWith('depthwise')).map((l) => l.name);
      const multi = new GradCam(f.model, { layerName: layers.slice(-2) });
      try {
        await expectAsyncMatchesSync(
          () => multi.explainAsync(f.batch, { method: 'xgradcam' }),
          () => multi.explain(f.batch, { method: 'xgradcam' }),
        );
      } finally {
        multi.dispose();
      }
    });

    // Costly on cpu: only on the `heavyOn` fixtures.
    if (heavy) {
      it('guidedBackpropAsync equals guidedBackprop, with no synchronous read', async () => {
        const before = tf.memory().numTensors;
        const watched = await watchSyncReads(() => guidedBackpropAsync(f.model, f.batch, { classIndex: 1 }));
        expect(watched.syncReads).toEqual([]);
        const got = watched.value as Awaited<ReturnType<typeof guidedBackpropAsync>>;
        const want = guidedBackprop(f.model, f.batch, { classIndex: 1 });
        expect(maxAbsDiff(got.saliency, Array.from(want.saliency.dataSync()))).toBeLessThanOrEqual(TOLERANCE);
        expect(got.classIndex).toEqual(want.classIndex);
        expect(maxAbsDiff(got.scores, want.scores)).toBeLessThanOrEqual(TOLERANCE);
        got.dispose();
        want.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });

      it('overlapping calls on one explainer give what each gives alone', async () => {
        const before = tf.memory().numTensors;
        const second = f.fx.images.map((img) => img.second);
        const settled: string[] = [];
        const track = <T>(label: string, p: Promise<T>): Promise<T> => p.then((v) => (settled.push(label), v));
        const [score, plus, top] = await Promise.all([
          track('scorecam', f.gc.explainAsync(f.batch, { method: 'scorecam', batchSize: 4 })),
          track('gradcam++', f.gc.explainAsync(f.batch, { method: 'gradcam++', classIndex: second })),
          track('topk', f.gc.explainTopKAsync(f.batch, 2)),
        ]);
        // ScoreCAM started first and pauses between its chunks: the others overtake it.
        expect(settled[settled.length - 1]).toBe('scorecam');
        const wantScore = f.gc.explain(f.batch, { method: 'scorecam', batchSize: 4 });
        const wantPlus = f.gc.explain(f.batch, { method: 'gradcam++', classIndex: second });
        const wantTop = f.gc.explainTopK(f.batch, 2);
        expectSameResult(score, wantScore);
        expectSameResult(plus, wantPlus);
        top.forEach((r, i) => expectSameResult(r, wantTop[i]));
        for (const r of [score, plus, ...top, wantScore, wantPlus, ...wantTop]) r.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  });

  describe('explainAsync on the event loop', () => {
    const f = openedFixture('plain');

    it('ScoreCAM hands the event loop back between chunks, and onProgress keeps reporting', async () => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 0);
      const seen: Array<{ done: number; total: number; ticks: number }> = [];
      try {
        const r = await f.gc.explainAsync(f.batch, {
          method: 'scorecam',
          batchSize: 4,
          onProgress: ({ done, total }) => seen.push({ done, total, ticks }),
        });
        r.dispose();
      } finally {
        clearInterval(timer);
      }
      const channels = (f.model.getLayer(f.fx.targets[0].layer).outputShape as number[])[3];
      const total = f.batch.shape[0] * channels;
      expect(seen.map((p) => p.done)).toEqual(Array.from({ length: total / 4 }, (_, i) => 4 * (i + 1)));
      expect(seen.every((p) => p.total === total)).toBe(true);
      // A timer ran between every two chunks: the page would have had its turns too.
      for (let i = 1; i < seen.length; i++) expect(seen[i].ticks).toBeGreaterThan(seen[i - 1].ticks);
    });

    it('works when called inside the caller\'s tf.tidy', async () => {
      const before = tf.memory().numTensors;
      let promise: Promise<GradCamResult> | undefined;
      tf.tidy(() => {
        promise = f.gc.explainAsync(f.batch);
      });
      const r = await (promise as Promise<GradCamResult>);
      const want = f.gc.explain(f.batch);
      expectSameResult(r, want);
      r.dispose();
      want.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('every error is a rejected promise with the sync call\'s code, and nothing leaks', async () => {
      const nan = tf.fill([1, 32, 32, 3], Number.NaN) as tf.Tensor4D;
      const vector = tf.zeros([5]);
      const small = tf.zeros([1, 5, 5, 3]);
      const seven = tf.zeros([7]) as tf.Tensor1D;
      try {
        await expectRejects(() => f.gc.explainAsync('image' as unknown as tf.Tensor), 'BAD_INPUT');
        await expectRejects(() => f.gc.explainAsync(vector), 'BAD_INPUT');
        await expectRejects(() => f.gc.explainAsync(f.batch, { method: 'nope' as 'gradcam' }), 'BAD_OPTION');
        await expectRejects(() => f.gc.explainAsync(f.batch, { classIndex: 99 }), 'BAD_CLASS_INDEX');
        await expectRejects(() => f.gc.explainAsync(f.batch, { method: 'eigencam', counterfactual: true }), 'BAD_OPTION');
        await expectRejects(() => f.gc.explainAsync(f.batch, { method: 'scorecam', batchSize: 0 }), 'BAD_OPTION');
        await expectRejects(() => f.gc.explainAsync(nan), 'NON_FINITE_INPUT');
        await expectRejects(() => f.gc.explainAsync(f.batch, { target: () => seven }), 'BAD_OPTION');
        await expectRejects(() => f.gc.explainTopKAsync(f.batch, 0), 'BAD_OPTION');
        await expectRejects(() => f.gc.explainTopKAsync(f.batch, 2, { classIndex: 1 } as never), 'BAD_OPTION');
        await expectRejects(() => f.gc.explainTopKAsync(nan, 2), 'NON_FINITE_INPUT');
        await expectRejects(() => guidedBackpropAsync(f.model, small), 'BAD_INPUT');
        await expectRejects(() => guidedBackpropAsync(f.model, nan), 'NON_FINITE_INPUT');
        await expectRejects(() => guidedBackpropAsync(f.model, f.batch, { classIndex: [0] }), 'BAD_CLASS_INDEX');
      } finally {
        tf.dispose([nan, vector, small, seven]);
      }
    });
  });
}
