import * as tf from '@tensorflow/tfjs-core';
import { type FeaturePass, camToHeatmap, splitModel, weightedActivationMap } from '../../src';
import { ablationCam } from '../../src/methods/ablationcam';
import type { CamMethod, MethodInputs } from '../../src/methods/method';
import { scoreCam } from '../../src/methods/scorecam';
import { expectClose } from '../helpers/expect';
import {
  ORIGINAL_FIXTURE_NAMES,
  type ParityCase,
  buildFixtureModel,
  loadFixture,
  maxAbsDiff,
  relativeDiff,
  toTensor,
} from '../helpers/fixtures';

/** MethodInputs for tests: everything a perturbation method must not touch throws. */
function makeInputs(parts: Partial<MethodInputs> & Pick<MethodInputs, 'activations' | 'images' | 'scores'>): MethodInputs {
  const unused = (what: string) => (): never => {
    throw new Error(`${what} should not be called`);
  };
  return {
    scoreImages: unused('scoreImages'),
    scoreActivations: unused('scoreActivations'),
    gapClassWeights: unused('gapClassWeights'),
    batchSize: 4,
    progress: () => undefined,
    ...parts,
  };
}

/** The weights of a method as nested arrays, disposing them. */
function weightsOf(method: CamMethod, inputs: MethodInputs): number[][] {
  const out = method.compute(inputs);
  if (!('weights' in out)) throw new Error(`${method.name} should return weights`);
  const w = out.weights.arraySync();
  out.weights.dispose();
  return w;
}

/** Deterministic activations `[N,h,w,C]` with some exact zeros (min 0), plus `shift`. */
function activationValues(n: number, h: number, w: number, c: number, shift = 0): number[][][][] {
  return grid(n, h, w, c, (i, y, x, k) => ((i * 7 + y * 5 + x * 3 + k * 11) % 13) / 6 + shift);
}

/** Deterministic images `[N,H,W,Cin]` in [0, 1]. */
function imageValues(n: number, h: number, w: number, c: number): number[][][][] {
  return grid(n, h, w, c, (i, y, x, k) => ((i * 3 + y * 4 + x * 7 + k * 5) % 11) / 10);
}

function grid(n: number, h: number, w: number, c: number, f: (i: number, y: number, x: number, k: number) => number): number[][][][] {
  const range = (m: number): number[] => Array.from({ length: m }, (_, i) => i);
  return range(n).map((i) => range(h).map((y) => range(w).map((x) => range(c).map((k) => f(i, y, x, k)))));
}

/** torch's UpsamplingBilinear2d (align corners) by hand: output i samples source i·(in−1)/(out−1). */
function upsampleAlignCorners(m: number[][], outH: number, outW: number): number[][] {
  const sample = (i: number, inSize: number, outSize: number): [number, number, number] => {
    const src = outSize === 1 ? 0 : (i * (inSize - 1)) / (outSize - 1);
    const i0 = Math.floor(src);
    return [i0, Math.min(i0 + 1, inSize - 1), src - i0];
  };
  return Array.from({ length: outH }, (_, y) => {
    const [y0, y1, fy] = sample(y, m.length, outH);
    return Array.from({ length: outW }, (_, x) => {
      const [x0, x1, fx] = sample(x, m[0].length, outW);
      const top = m[y0][x0] * (1 - fx) + m[y0][x1] * fx;
      const bottom = m[y1][x0] * (1 - fx) + m[y1][x1] * fx;
      return top * (1 - fy) + bottom * fy;
    });
  });
}

/** Score-CAM's mask of channel c of one image's activations `[h][w][C]`, `[H][W]`. */
function scoreCamMask(a: number[][][], c: number, outH: number, outW: number): number[][] {
  const u = upsampleAlignCorners(
    a.map((row) => row.map((v) => v[c])),
    outH,
    outW,
  );
  const flat = u.flat();
  const lo = Math.min(...flat);
  const hi = Math.max(...flat);
  return u.map((row) => row.map((v) => (v - lo) / (hi - lo + 1e-8)));
}

function softmax(xs: number[]): number[] {
  const top = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - top));
  const total = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / total);
}

describe('scoreCam', () => {
  const [N, h, w, C, H, W, CIN] = [2, 2, 2, 3, 4, 4, 3];
  const A = activationValues(N, h, w, C);
  const X = imageValues(N, H, W, CIN);
  /** The known score: image n's masked images scored by (n+1)·10·mean of their first channel. */
  const scale = (n: number): number => 10 * (n + 1);

  /** Masked images and weights, computed independently of the library. */
  const expectedMasked = (n: number, c: number): number[][][] => {
    const m = scoreCamMask(A[n], c, H, W);
    return X[n].map((row, y) => row.map((px, x) => px.map((v) => v * m[y][x])));
  };
  const expectedWeights = (): number[][] =>
    A.map((_, n) =>
      softmax(
        Array.from({ length: C }, (__, c) => {
          const firstChannel = expectedMasked(n, c).flat().map((px) => px[0]);
          return (scale(n) * firstChannel.reduce((s, v) => s + v, 0)) / firstChannel.length;
        }),
      ),
    );

  interface Call {
    image: number;
    batch: number;
    numTensors: number;
    masked?: number[][][][];
  }

  /** Runs scoreCam on the tiny inputs, recording the calls and the progress. */
  function run(batchSize: number, keepMasked = false): { weights: number[][]; calls: Call[]; progress: number[][] } {
    const calls: Call[] = [];
    const progress: number[][] = [];
    const activations = tf.tensor4d(A);
    const images = tf.tensor4d(X);
    const scores = tf.zeros([N]) as tf.Tensor1D;
    const inputs = makeInputs({
      activations,
      images,
      scores,
      batchSize,
      progress: (done, total) => progress.push([done, total]),
      scoreImages: (image, imgs) => {
        calls.push({
          image,
          batch: imgs.shape[0],
          numTensors: tf.memory().numTensors,
          masked: keepMasked ? imgs.arraySync() : undefined,
        });
        const firstChannel = tf.slice(imgs, [0, 0, 0, 0], [-1, -1, -1, 1]);
        return tf.mul(tf.mean(firstChannel, [1, 2, 3]), scale(image)) as tf.Tensor1D;
      },
    });
    const weights = weightsOf(scoreCam, inputs);
    tf.dispose([activations, images, scores]);
    return { weights, calls, progress };
  }

  it('masks each image with each min-max normalised, align-corners upsampled channel', () => {
    const { calls } = run(1, true);
    expect(calls.map((c) => c.image)).toEqual([0, 0, 0, 1, 1, 1]);
    calls.forEach((call, i) => {
      const [n, c] = [Math.floor(i / C), i % C];
      expect(call.batch).toBe(1);
      expectClose((call.masked as number[][][][])[0].flat(2), expectedMasked(n, c).flat(2), 1e-6);
    });
  });

  it('weights are the softmax over channels of the masked images’ scores, per image', () => {
    const { weights } = run(2);
    expectClose(weights.flat(), expectedWeights().flat(), 1e-6);
    for (const row of weights) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
  });

  it.each([1, 2, 3, 5])('gives the same weights with batchSize %i, scoring image n with scoreImages(n, …)', (batchSize) => {
    const { weights, calls } = run(batchSize);
    expectClose(weights.flat(), expectedWeights().flat(), 1e-6);
    const perImage = Math.ceil(C / batchSize);
    expect(calls.map((c) => c.image)).toEqual([...Array<number>(perImage).fill(0), ...Array<number>(perImage).fill(1)]);
    expect(calls.map((c) => c.batch).reduce((s, b) => s + b, 0)).toBe(N * C);
    expect(Math.max(...calls.map((c) => c.batch))).toBe(Math.min(batchSize, C));
  });

  it('reports progress in forward passes, increasing, ending at N·C', () => {
    const { progress, calls } = run(2);
    expect(progress).toHaveLength(calls.length);
    expect(progress.map(([done]) => done)).toEqual([2, 3, 5, 6]);
    for (const [, total] of progress) expect(total).toBe(N * C);
  });

  it('leaks no tensor, and the live tensor count does not grow with the number of chunks', () => {
    const before = tf.memory().numTensors;
    const { calls } = run(1);
    expect(tf.memory().numTensors).toBe(before);
    expect(calls).toHaveLength(N * C);
    expect(new Set(calls.map((c) => c.numTensors)).size).toBe(1);
  });

  it('memory stays bounded with many channels: same tensor count at every call', () => {
    const many = 12;
    const activations = tf.tensor4d(activationValues(1, h, w, many));
    const images = tf.tensor4d(imageValues(1, H, W, CIN));
    const scores = tf.zeros([1]) as tf.Tensor1D;
    const counts: number[] = [];
    const inputs = makeInputs({
      activations,
      images,
      scores,
      batchSize: 1,
      scoreImages: (_, imgs) => {
        counts.push(tf.memory().numTensors);
        return tf.mean(imgs, [1, 2, 3]) as tf.Tensor1D;
      },
    });
    const before = tf.memory().numTensors;
    tf.dispose(weightsOf(scoreCam, inputs));
    expect(tf.memory().numTensors).toBe(before);
    expect(counts).toHaveLength(many);
    expect(new Set(counts).size).toBe(1);
    tf.dispose([activations, images, scores]);
  });

  it('leaks nothing when scoring throws', () => {
    const activations = tf.tensor4d(A);
    const images = tf.tensor4d(X);
    const scores = tf.zeros([N]) as tf.Tensor1D;
    let calls = 0;
    const inputs = makeInputs({
      activations,
      images,
      scores,
      batchSize: 1,
      scoreImages: (_, imgs) => {
        if (++calls === 3) throw new Error('boom');
        return tf.mean(imgs, [1, 2, 3]) as tf.Tensor1D;
      },
    });
    const before = tf.memory().numTensors;
    expect(() => scoreCam.compute(inputs)).toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([activations, images, scores]);
  });
});

describe('ablationCam', () => {
  const [h, w, C] = [2, 2, 3];
  /** A fixed linear head: score = Σ A·Wt. */
  const Wt = grid(1, h, w, C, (_, y, x, k) => (((y * 3 + x * 5 + k * 7) % 9) - 4) / 3)[0];
  const linearScore = (a: number[][][]): number =>
    a.reduce((s, row, y) => s + row.reduce((t, px, x) => t + px.reduce((u, v, k) => u + v * Wt[y][x][k], 0), 0), 0);

  interface Run {
    weights: number[][];
    images: number[];
    copies: number[][][][];
    progress: number[][];
    counts: number[];
  }

  /** Runs ablationCam on activations `a` with the linear head, recording the calls. */
  function run(a: number[][][][], batchSize: number): Run {
    const rec: Run = { weights: [], images: [], copies: [], progress: [], counts: [] };
    const activations = tf.tensor4d(a);
    const images = tf.zeros([a.length, 4, 4, 3]) as tf.Tensor4D;
    const scores = tf.tensor1d(a.map(linearScore));
    const kernel = tf.tensor4d([Wt]);
    const inputs = makeInputs({
      activations,
      images,
      scores,
      batchSize,
      progress: (done, total) => rec.progress.push([done, total]),
      scoreActivations: (image, copies) => {
        rec.counts.push(tf.memory().numTensors);
        for (let i = 0; i < copies.shape[0]; i++) rec.images.push(image);
        rec.copies.push(...copies.arraySync());
        return tf.sum(tf.mul(copies, kernel), [1, 2, 3]) as tf.Tensor1D;
      },
    });
    rec.weights = weightsOf(ablationCam, inputs);
    tf.dispose([activations, images, scores, kernel]);
    return rec;
  }

  /** The ablation value pytorch-grad-cam's AblationLayer uses for one image, in float32. */
  const ablationValue = (a: number[][][]): number => {
    const lo = Math.fround(Math.min(...a.flat(2).map(Math.fround)));
    return lo === 0 ? 0 : Math.fround(lo - 1e7);
  };

  /** (score − ablated_c)/score with ablated_c = score − Σ_hw (A_c − v)·Wt_c: exact for a linear head. */
  const expectedWeights = (a: number[][][][]): number[][] =>
    a.map((img) => {
      const score = linearScore(img);
      const v = ablationValue(img);
      return Array.from({ length: C }, (_, c) => {
        let removed = 0;
        img.forEach((row, y) => row.forEach((px, x) => (removed += (px[c] - v) * Wt[y][x][c])));
        return removed / score;
      });
    });

  /** Each copy i of image n is A_n with channel i mod C (in order) set to v. */
  const expectCopies = (a: number[][][][], rec: Run): void => {
    expect(rec.copies).toHaveLength(a.length * C);
    rec.copies.forEach((copy, i) => {
      const [n, c] = [Math.floor(i / C), i % C];
      const v = ablationValue(a[n]);
      const expected = a[n].map((row) => row.map((px) => px.map((val, k) => (k === c ? v : Math.fround(val)))));
      expect(copy).toEqual(expected);
    });
  };

  it('min(A) = 0: ablates with 0, weights_c = Σ_hw A_c·W_c / score for a linear head', () => {
    const a = activationValues(2, h, w, C);
    expect(Math.min(...a.flat(3))).toBe(0);
    const rec = run(a, 2);
    expectCopies(a, rec);
    expectClose(rec.weights.flat(), expectedWeights(a).flat(), 1e-5);
  });

  it('min(A) ≠ 0: ablates with min(A_n) − 1e7, per image', () => {
    // Image 0 all positive (min 0.5), image 1 with negatives (min −2).
    const a = [activationValues(1, h, w, C, 0.5)[0], activationValues(1, h, w, C, -2)[0]];
    const rec = run(a, 2);
    expectCopies(a, rec);
    const expected = expectedWeights(a).flat();
    const scaleOf = Math.max(...expected.map(Math.abs));
    expect(scaleOf).toBeGreaterThan(1e6);
    expectClose(rec.weights.flat(), expected, 1e-6 * scaleOf);
  });

  it.each([1, 2, 3, 7])('gives the same weights with batchSize %i, scoring image n with scoreActivations(n, …)', (batchSize) => {
    const a = activationValues(2, h, w, C);
    const rec = run(a, batchSize);
    expectClose(rec.weights.flat(), expectedWeights(a).flat(), 1e-5);
    expect(rec.images).toEqual([0, 0, 0, 1, 1, 1]);
    expect(rec.counts).toHaveLength(2 * Math.ceil(C / batchSize));
    const perImage = Math.ceil(C / batchSize);
    const done = rec.counts.map((_, i) => Math.floor(i / perImage) * C + Math.min(((i % perImage) + 1) * batchSize, C));
    expect(rec.progress).toEqual(done.map((d) => [d, 2 * C]));
  });

  it('leaks no tensor, and the live tensor count does not grow with the number of chunks', () => {
    const a = activationValues(2, h, w, 9);
    const activations = tf.tensor4d(a);
    const images = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
    const scores = tf.tensor1d([1, 2]);
    const counts: number[] = [];
    const inputs = makeInputs({
      activations,
      images,
      scores,
      batchSize: 1,
      scoreActivations: (_, copies) => {
        counts.push(tf.memory().numTensors);
        return tf.sum(copies, [1, 2, 3]) as tf.Tensor1D;
      },
    });
    const before = tf.memory().numTensors;
    tf.dispose(weightsOf(ablationCam, inputs));
    expect(tf.memory().numTensors).toBe(before);
    expect(counts).toHaveLength(18);
    expect(new Set(counts).size).toBe(1);
    tf.dispose([activations, images, scores]);
  });
});

/** The fixture cases, with the per-method channel weights the shared ParityCase type leaves out. */
type CaseWithWeights = ParityCase & { channel_weights: Record<string, number[]> };

// On cpu, the two original networks; methods-wasm.test.ts compares ScoreCAM's and AblationCAM's
// maps with pytorch-grad-cam's on every fixture.
describe.each(ORIGINAL_FIXTURE_NAMES)('perturbation methods on the %s fixture', (name) => {
  const fx = loadFixture(name);
  const target = fx.targets[0];
  const cases = target.cases as CaseWithWeights[];
  const model = buildFixtureModel(fx);
  const split = splitModel(model, target.layer);
  afterAll(() => model.dispose());

  /** Both images, explained for the class of `role` ('argmax' or 'second'): the cases, the images and a pass. */
  function setup(role: string): { byImage: CaseWithWeights[]; images: tf.Tensor4D; classes: number[] } {
    const byImage = fx.images.map((_, n) => cases.find((c) => c.image === n && c.class_role === role) as CaseWithWeights);
    // Each fixture image is [1,H,W,C].
    const images = tf.tidy(() => tf.concat(fx.images.map((img) => toTensor(img.tensor) as tf.Tensor4D)));
    return { byImage, images, classes: byImage.map((c) => c.class) };
  }

  /** Column k of the logits, `[B]`. */
  const column = (logits: tf.Tensor, k: number): tf.Tensor1D => tf.reshape(tf.slice(logits, [0, k], [-1, 1]), [-1]);

  /** Image n's logit for `classes[n]`, `[N]`. The head runs in a tidy: it does not free its intermediates. */
  const classScores = (pass: FeaturePass, classes: number[]): tf.Tensor1D =>
    tf.tidy(() => {
      const logits = pass.head(pass.activations);
      return tf.concat(classes.map((k, n) => tf.slice(column(logits, k), [n], [1]))) as tf.Tensor1D;
    });

  it.each(['argmax', 'second'])('ScoreCAM matches pytorch-grad-cam (%s class)', (role) => {
    const before = tf.memory().numTensors;
    const { byImage, images, classes } = setup(role);
    const pass = split.forward(images);
    const scores = classScores(pass, classes);
    const inputs = makeInputs({
      activations: pass.activations,
      images,
      scores,
      batchSize: 7,
      scoreImages: (n, imgs) =>
        tf.tidy(() => {
          const p = split.forward(imgs);
          const logits = p.head(p.activations);
          const s = column(logits, classes[n]);
          p.dispose();
          return s;
        }),
    });
    const out = scoreCam.compute(inputs);
    if (!('weights' in out)) throw new Error('scorecam should return weights');
    const [height, width] = images.shape.slice(1, 3) as [number, number];
    const heatmaps = tf.tidy(() => camToHeatmap(weightedActivationMap(pass.activations, out.weights), [height, width]));
    const weights = out.weights.arraySync();
    const maps = heatmaps.arraySync();
    const diffs = byImage.map((c, n) => ({
      heatmap: maxAbsDiff(maps[n].flat(), c.heatmaps.ScoreCAM.data),
      weights: relativeDiff(weights[n], c.channel_weights.ScoreCAM),
    }));
    // Surfaces the measured parity in the test output when asked to.
    if (process.env.PARITY_REPORT) console.log(name, role, JSON.stringify(diffs));
    for (const d of diffs) {
      expect(d.heatmap).toBeLessThanOrEqual(1e-3);
      expect(d.weights).toBeLessThanOrEqual(1e-3);
    }
    tf.dispose([out.weights, heatmaps, scores, images]);
    pass.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('AblationCAM with the real head: the relative score drop of each ablated channel', () => {
    const before = tf.memory().numTensors;
    const { images, classes } = setup('argmax');
    const pass = split.forward(images);
    const scores = classScores(pass, classes);
    const calls: number[] = [];
    const inputs = makeInputs({
      activations: pass.activations,
      images,
      scores,
      batchSize: 5,
      scoreActivations: (n, copies) => {
        calls.push(n);
        return tf.tidy(() => column(pass.headFor({ rows: Array<number>(copies.shape[0]).fill(n) })(copies), classes[n]));
      },
    });
    const out = ablationCam.compute(inputs);
    if (!('weights' in out)) throw new Error('ablationcam should return weights');
    const C = pass.activations.shape[3];
    expect(out.weights.shape).toEqual([2, C]);
    expect(calls).toEqual([...Array<number>(Math.ceil(C / 5)).fill(0), ...Array<number>(Math.ceil(C / 5)).fill(1)]);

    // Independent reference: ablate channel c of image n with tf ops and rerun the head.
    const a = pass.activations.arraySync();
    const s = scores.arraySync();
    const weights = out.weights.arraySync();
    for (let n = 0; n < 2; n++) {
      expect(Math.min(...a[n].flat(2))).toBe(0);
      for (const c of [0, Math.floor(C / 2), C - 1]) {
        const ablated = tf.tidy(() => {
          const copy = a[n].map((row) => row.map((px) => px.map((v, k) => (k === c ? 0 : v))));
          return column(pass.headFor({ rows: [n] })(tf.tensor4d([copy])), classes[n]).arraySync()[0];
        });
        expect(weights[n][c]).toBeCloseTo((s[n] - ablated) / s[n], 4);
      }
    }
    if (name === 'dw') {
      // A GAP → Dense head is linear: ablated_c = score − mean_hw(A_c)·K[c,k] exactly.
      const kernel = (split.gapClassifierKernel() as tf.Tensor2D).arraySync();
      for (let n = 0; n < 2; n++) {
        const expected = Array.from({ length: C }, (_, c) => {
          const mean = a[n].flat().reduce((t, px) => t + px[c], 0) / (a[n].length * a[n][0].length);
          return (mean * kernel[c][classes[n]]) / s[n];
        });
        expect(relativeDiff(weights[n], expected)).toBeLessThan(1e-4);
      }
    }
    tf.dispose([out.weights, scores, images]);
    pass.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
