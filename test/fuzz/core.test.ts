import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import {
  COLORMAPS,
  applyColormap,
  bilinearResize,
  blend,
  camToHeatmap,
  colormapTable,
  deprocessSaliency,
  gradientsForClass,
  gradientsOfScores,
  guidedGradCam,
  normalize,
  poolWeights,
  selectClassScores,
  weightedActivationMap,
} from '../../src';
import { RUNS, type TensorSpec, allFinite, anyValue, dataFor, holds, moderate, notATensor, outcome, range, shape, specOf, tensorSpec, value, withTensors } from './arbitraries';

/**
 * Property-based tests of every pure function of the main entry, on the cpu backend: random
 * shapes (1×1 maps, batches of 1, 2 and 8, non-square), values (±1e30, denormals, constants;
 * NaN/±Infinity where an input may carry them) and arguments (valid and not). Each property
 * runs RUNS (100) seeded cases unless its name says otherwise; expected values come from plain
 * float64 arithmetic written here, not from the library.
 */

/** Per-image slices of a flat [N, ...] array. */
function perImage(data: ArrayLike<number>, n: number): number[][] {
  const size = data.length / n;
  return Array.from({ length: n }, (_, i) => Array.from(data).slice(i * size, (i + 1) * size));
}

const size2 = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }));
const badSize = fc.constantFrom<unknown>([0, 3], [3, -1], [1.5, 2], [Number.NaN, 2], [2, Infinity], [2], null, 'big', 7, [2, '3']);
/** A tensor of the rank asked (mostly), of another rank, or not a tensor at all. */
interface Arg {
  readonly spec?: TensorSpec;
  readonly junk?: unknown;
}
const tensorOrJunk = (rank: number, values = value): fc.Arbitrary<Arg> =>
  fc.oneof({ weight: 4, arbitrary: tensorSpec(rank, values).map((spec) => ({ spec })) }, { weight: 1, arbitrary: tensorSpec(rank === 3 ? 4 : 3, values).map((spec) => ({ spec })) }, { weight: 1, arbitrary: notATensor.map((junk) => ({ junk })) });

/** Calls `f` with the tensor (made and disposed here) or the junk value. */
function withArg<R>(arg: Arg, f: (x: tf.Tensor) => R): R {
  if (arg.spec === undefined) return f(arg.junk as tf.Tensor);
  return withTensors([arg.spec], f);
}

/** Every value finite and in [0, 1]. */
function expectUnitRange(values: ArrayLike<number>): void {
  expect(allFinite(values)).toBe(true);
  expect(range(values)[0]).toBeGreaterThanOrEqual(0);
  expect(range(values)[1]).toBeLessThanOrEqual(1);
}

/** The property of a one-tensor function: for a tensor of `rank` (or not), `check` holds or a GradCamError is thrown. */
function unaryProperty(rank: number, f: (x: tf.Tensor) => tf.Tensor, check: (x: tf.Tensor, out: tf.Tensor) => void): void {
  holds(fc.property(tensorOrJunk(rank), (arg) => void withArg(arg, (x) => outcome(() => f(x), (out) => check(x, out)))));
}

/** The property of a maps-and-size function (`[N,h,w]` maps, `[H, W]` sizes valid or not). */
function sizedProperty(f: (maps: tf.Tensor3D, size: [number, number]) => tf.Tensor, check: (maps: tf.Tensor, size: [number, number], out: tf.Tensor) => void): void {
  const sizeArg = fc.oneof({ weight: 4, arbitrary: size2 as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: badSize });
  holds(
    fc.property(tensorOrJunk(3), sizeArg, (arg, size) =>
      void withArg(arg, (maps) => outcome(() => f(maps as tf.Tensor3D, size as [number, number]), (out) => check(maps, size as [number, number], out))),
    ),
  );
}

describe(`pure functions: ${RUNS} seeded cases per property`, () => {
  it('normalize: [N,h,w] in [0,1] equal to (m − min)/(max − min + 1e-7) per image; anything else a GradCamError', () => {
    unaryProperty(3, (maps) => normalize(maps as tf.Tensor3D), (maps, out) => {
      expect(out.shape).toEqual(maps.shape);
      const got = out.dataSync();
      expectUnitRange(got);
      const want = perImage(maps.dataSync(), maps.shape[0]).flatMap((m) => {
        const [lo, hi] = range(m);
        return m.map((v) => (v - lo) / (hi - lo + 1e-7));
      });
      want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThanOrEqual(1e-5));
    });
  });

  it('bilinearResize: [N,H,W] within each map’s own range; bad sizes and ranks a GradCamError', () => {
    sizedProperty(bilinearResize, (maps, [h, w], out) => {
      const n = maps.shape[0];
      expect(out.shape).toEqual([n, h, w]);
      const inputs = perImage(maps.dataSync(), n);
      perImage(out.dataSync(), n).forEach((m, i) => {
        const [lo, hi] = range(inputs[i]);
        const slack = 1e-6 * Math.max(Math.abs(lo), Math.abs(hi));
        expect(allFinite(m)).toBe(true);
        expect(range(m)[0]).toBeGreaterThanOrEqual(lo - slack);
        expect(range(m)[1]).toBeLessThanOrEqual(hi + slack);
      });
    });
  });

  it('camToHeatmap: [N,H,W], finite, in [0,1]', () => {
    sizedProperty(camToHeatmap, (cam, size, out) => {
      expect(out.shape).toEqual([cam.shape[0], ...size]);
      expectUnitRange(out.dataSync());
    });
  });

  it('poolWeights: [N,C], the spatial mean of the gradients', () => {
    unaryProperty(4, (g) => poolWeights(g as tf.Tensor4D), (g, out) => {
      const [n, h, w, c] = g.shape;
      expect(out.shape).toEqual([n, c]);
      const data = g.dataSync();
      const got = out.dataSync();
      expect(allFinite(got)).toBe(true);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < c; k++) {
          let sum = 0;
          let scale = 0;
          for (let p = 0; p < h * w; p++) {
            sum += data[(i * h * w + p) * c + k];
            scale = Math.max(scale, Math.abs(data[(i * h * w + p) * c + k]));
          }
          expect(Math.abs(got[i * c + k] - sum / (h * w))).toBeLessThanOrEqual(1e-5 * scale + 1e-30);
        }
      }
    });
  });

  it('weightedActivationMap: [N,h,w], ≥ 0, ReLU(Σ_c w·A); mismatched weights a SHAPE_MISMATCH', () => {
    const args = shape(4).chain((s) => {
      const [n, , , c] = s;
      const weightShape = fc.oneof({ weight: 5, arbitrary: fc.constant<number[]>([n, c]) }, { weight: 1, arbitrary: fc.constantFrom<number[]>([n, c + 1], [n + 1, c], [c]) });
      return fc.tuple(specOf(s), weightShape.chain((ws) => specOf(ws, moderate)));
    });
    holds(
      fc.property(args, ([a, w]) => {
        withTensors([a, w], (activations, weights) =>
          outcome(
            () => weightedActivationMap(activations as tf.Tensor4D, weights as tf.Tensor2D),
            (out) => {
              const [n, h, ww, c] = activations.shape;
              expect(out.shape).toEqual([n, h, ww]);
              const got = out.dataSync();
              for (let p = 0; p < n * h * ww; p++) {
                let sum = 0;
                let scale = 0;
                for (let k = 0; k < c; k++) {
                  const term = a.data[p * c + k] * w.data[Math.floor(p / (h * ww)) * c + k];
                  sum += term;
                  scale += Math.abs(term);
                }
                expect(Number.isFinite(got[p])).toBe(true);
                expect(got[p]).toBeGreaterThanOrEqual(0);
                expect(Math.abs(got[p] - Math.max(0, sum))).toBeLessThanOrEqual(1e-5 * scale + 1e-30);
              }
            },
          ),
        );
      }),
    );
  });

  it('applyColormap: any heatmap values (NaN and ±Infinity too) give table colours in [0,1]', () => {
    const names = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...COLORMAPS) as fc.Arbitrary<string> }, { weight: 1, arbitrary: fc.string() });
    holds(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((rank) => tensorSpec(rank, anyValue)), names, (spec, name) => {
        withTensors([spec], (heatmap) =>
          outcome(
            () => applyColormap(heatmap, name as never),
            (out) => {
              expect(out.shape).toEqual([...heatmap.shape, 3]);
              const rows = new Set<string>();
              const table = colormapTable(name as never);
              for (let i = 0; i < 256; i++) rows.add(Array.from(table.subarray(3 * i, 3 * i + 3)).join());
              const got = out.dataSync();
              for (let i = 0; i < got.length; i += 3) expect(rows.has(Array.from(got.subarray(i, i + 3)).join())).toBe(true);
            },
          ),
        );
      }),
    );
  });

  it('colormapTable: 768 values in [0,1] for a shipped name; UNKNOWN_COLORMAP for any other string', () => {
    holds(
      fc.property(fc.oneof(fc.constantFrom(...COLORMAPS) as fc.Arbitrary<string>, fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString')), (name) => {
        const code = outcome(
          () => colormapTable(name as never),
          (table) => {
            expect(table).toHaveLength(768);
            expect(range(table)[0]).toBeGreaterThanOrEqual(0);
            expect(range(table)[1]).toBeLessThanOrEqual(1);
          },
          () => undefined,
        );
        expect(code === undefined).toBe((COLORMAPS as readonly string[]).includes(name));
        if (code !== undefined) expect(code).toBe('UNKNOWN_COLORMAP');
      }),
    );
  });

  it('blend: overlays in the image’s range with the documented shape, for any options; mistakes a GradCamError', () => {
    const args = fc
      .record({
        n: fc.constantFrom(1, 2, 8),
        h: fc.integer({ min: 1, max: 6 }),
        w: fc.integer({ min: 1, max: 6 }),
        imageBatch: fc.boolean(),
        heatBatch: fc.constantFrom<'none' | 'n' | 'one' | 'other'>('none', 'n', 'one', 'other'),
        channels: fc.oneof({ weight: 6, arbitrary: fc.constant(3) }, { weight: 1, arbitrary: fc.constantFrom(1, 4) }),
        heatW: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
        range: fc.oneof({ weight: 3, arbitrary: fc.constant<1 | 255 | undefined>(undefined) }, { weight: 2, arbitrary: fc.constantFrom<1 | 255>(1, 255) }, { weight: 1, arbitrary: fc.constantFrom(2, 0, Number.NaN) as fc.Arbitrary<never> }),
        alpha: fc.oneof({ weight: 4, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, -0.1, 1.5, Number.NaN, '0.5', null) }),
        colormap: fc.oneof({ weight: 4, arbitrary: fc.constantFrom<unknown>(...COLORMAPS, undefined) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('rainbow', 3, null) }),
      })
      .chain((o) => {
        const imageShape = o.imageBatch ? [o.n, o.h, o.w, o.channels] : [o.h, o.w, o.channels];
        const heatN = { none: [], n: [o.n], one: [1], other: [o.n + 1] }[o.heatBatch];
        const heatShape = [...heatN, o.h, o.w + o.heatW];
        const top = o.range === 255 ? 255 : 1;
        const pixel = fc.double({ min: 0, max: top, noNaN: true }).map(Math.fround);
        return fc.tuple(fc.constant(o), specOf(imageShape, pixel), specOf(heatShape, anyValue));
      });
    holds(
      fc.property(args, ([o, imageSpec, heatSpec]) => {
        withTensors([imageSpec, heatSpec], (image, heatmap) =>
          outcome(
            () => blend(image, heatmap, { alpha: o.alpha as number, colormap: o.colormap as never, range: o.range }),
            (out) => {
              const imageN = image.rank === 4 ? image.shape[0] : undefined;
              const heatN = heatmap.rank === 3 ? heatmap.shape[0] : undefined;
              const expected = imageN === undefined && heatN === undefined ? [o.h, o.w, 3] : [Math.max(imageN ?? 1, heatN ?? 1), o.h, o.w, 3];
              expect(out.shape).toEqual(expected);
              const got = out.dataSync();
              expect(allFinite(got)).toBe(true);
              const top = o.range === 255 ? 255 : 1;
              expect(range(got)[0]).toBeGreaterThanOrEqual(-1e-4 * top);
              expect(range(got)[1]).toBeLessThanOrEqual(top * (1 + 1e-4));
            },
          ),
        );
      }),
    );
  });

  it('selectClassScores: row b’s score for class b; mismatched ranks or batches a SHAPE_MISMATCH', () => {
    const args = fc.tuple(fc.constantFrom(1, 2, 8), fc.integer({ min: 1, max: 6 }), fc.integer({ min: -1, max: 1 })).chain(([b, k, skew]) =>
      fc.tuple(
        dataFor(b * k).map((data) => ({ shape: [b, k], data })),
        fc.array(fc.integer({ min: 0, max: k - 1 }), { minLength: Math.max(1, b + skew), maxLength: Math.max(1, b + skew) }),
      ),
    );
    holds(
      fc.property(args, ([scoresSpec, classList]) => {
        withTensors([scoresSpec], (scores) => {
          const classes = tf.tensor1d(classList, 'int32');
          try {
            const code = outcome(
              () => selectClassScores(scores as tf.Tensor2D, classes),
              (out) => {
                const [b, k] = scores.shape;
                expect(out.shape).toEqual([b]);
                Array.from(out.dataSync()).forEach((v, i) => expect(v + 0).toBe(Math.fround(scoresSpec.data[i * k + classList[i]]) + 0));
              },
            );
            expect(code === undefined).toBe(classList.length === scoresSpec.shape[0]);
          } finally {
            classes.dispose();
          }
        });
      }),
    );
  });

  it('gradientsForClass: gradients of a GAP + linear head are kernel[c,k]/(h·w); bad class indices a BAD_CLASS_INDEX', () => {
    const classIndex = (n: number, k: number): fc.Arbitrary<unknown> =>
      fc.oneof(
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: k - 1 }) },
        { weight: 2, arbitrary: fc.array(fc.integer({ min: 0, max: k - 1 }), { minLength: n, maxLength: n }) },
        { weight: 2, arbitrary: fc.constantFrom<unknown>(-1, k, 1.5, Number.NaN, Infinity, '1', null, {}, [], [0, 0, 0, 0, 0, 0, 0, 0, 0], [Number.NaN]) },
      );
    const args = shape(4, 5).chain((s) =>
      fc.tuple(
        fc.constant(s),
        dataFor(s.reduce((a, b) => a * b, 1)),
        fc.integer({ min: 1, max: 4 }).chain((k) => fc.tuple(fc.constant(k), fc.array(moderate, { minLength: s[3] * k, maxLength: s[3] * k }), classIndex(s[0], k))),
      ),
    );
    holds(
      fc.property(args, ([s, data, [k, kernelData, cls]]) => {
        const [n, h, w, c] = s;
        const kernel = tf.tensor2d(kernelData, [c, k]);
        const head = (a: tf.Tensor4D): tf.Tensor2D => tf.matMul(tf.mean(a, [1, 2]) as tf.Tensor2D, kernel);
        withTensors([{ shape: s, data }], (activations) =>
          outcome(
            () => gradientsForClass(head, activations as tf.Tensor4D, cls as number),
            (r) => {
              expect(r.gradients.shape).toEqual(s);
              expect(r.scores.shape).toEqual([n]);
              const classes = Array.from(r.classIndex.dataSync());
              classes.forEach((cl) => expect(cl >= 0 && cl < k).toBe(true));
              if (typeof cls === 'number') expect(classes).toEqual(new Array(n).fill(cls));
              const g = r.gradients.dataSync();
              for (let i = 0; i < g.length; i++) {
                const want = kernelData[(i % c) * k + classes[Math.floor(i / (h * w * c))]] / (h * w);
                expect(Math.abs(g[i] - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want) + 1e-30);
              }
              expect(allFinite(r.scores.dataSync())).toBe(true);
            },
            (r) => tf.dispose([r.gradients, r.scores, r.classIndex]),
          ),
        );
        kernel.dispose();
      }),
    );
  });

  it('gradientsOfScores: d(Σ a²/2)/da = a per image; a score of the wrong shape a SHAPE_MISMATCH', () => {
    const scoreFns = fc.constantFrom<[string, (a: tf.Tensor4D) => tf.Tensor1D]>(
      ['half sum of squares', (a) => tf.mul(tf.sum(tf.square(a), [1, 2, 3]), 0.5) as tf.Tensor1D],
      ['a scalar', (a) => tf.sum(a) as unknown as tf.Tensor1D],
      ['[N,1]', (a) => tf.sum(a, [1, 2], false) as unknown as tf.Tensor1D],
      ['one row too many', (a) => tf.concat([tf.sum(a, [1, 2, 3]), tf.zeros([1])]) as tf.Tensor1D],
    );
    holds(
      fc.property(tensorSpec(4, moderate, 5), scoreFns, (spec, [name, score]) => {
        withTensors([spec], (a) =>
          outcome(
            () => gradientsOfScores(score, a as tf.Tensor4D),
            (r) => {
              expect(name).toBe('half sum of squares');
              expect(r.gradients.shape).toEqual(spec.shape);
              Array.from(r.gradients.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(Math.fround(spec.data[i]), 3));
            },
            (r) => tf.dispose([r.gradients, r.scores]),
          ),
        );
      }),
    );
  });

  it('deprocessSaliency: [N,H,W,C] in [0,1], finite, for any finite saliency', () => {
    unaryProperty(4, (x) => deprocessSaliency(x as tf.Tensor4D), (x, out) => {
      expect(out.shape).toEqual(x.shape);
      expectUnitRange(out.dataSync());
    });
  });

  it('guidedGradCam: saliency × heatmap per pixel; mismatched sizes a SHAPE_MISMATCH', () => {
    const args = shape(4, 5).chain((s) =>
      fc.tuple(
        specOf(s),
        fc.constantFrom(0, 0, 0, 1).chain((off) => {
          const hs = [s[0], s[1], s[2] + off];
          return specOf(hs, fc.double({ min: 0, max: 1, noNaN: true }).map(Math.fround));
        }),
      ),
    );
    holds(
      fc.property(args, ([sal, heat]) => {
        withTensors([sal, heat], (saliency, heatmap) =>
          outcome(
            () => guidedGradCam(saliency as tf.Tensor4D, heatmap as tf.Tensor3D),
            (out) => {
              expect(out.shape).toEqual(sal.shape);
              const c = sal.shape[3];
              Array.from(out.dataSync()).forEach((v, i) => expect(v + 0).toBe(Math.fround(sal.data[i] * heat.data[Math.floor(i / c)]) + 0));
            },
          ),
        );
      }),
    );
  });

  const rgb = tf.zeros([2, 2, 3]); // kept for the whole file: the leak check counts from here
  const grey = tf.zeros([2, 2]);
  afterAll(() => tf.dispose([rgb, grey]));

  it.each([
    ['normalize', (x: unknown) => normalize(x as tf.Tensor3D)],
    ['poolWeights', (x: unknown) => poolWeights(x as tf.Tensor4D)],
    ['bilinearResize', (x: unknown) => bilinearResize(x as tf.Tensor3D, [2, 2])],
    ['camToHeatmap', (x: unknown) => camToHeatmap(x as tf.Tensor3D, [2, 2])],
    ['applyColormap', (x: unknown) => applyColormap(x as tf.Tensor)],
    ['blend (image)', (x: unknown) => blend(x as tf.Tensor, grey)],
    ['blend (heatmap)', (x: unknown) => blend(rgb, x as tf.Tensor)],
    ['deprocessSaliency', (x: unknown) => deprocessSaliency(x as tf.Tensor4D)],
    ['weightedActivationMap', (x: unknown) => weightedActivationMap(x as tf.Tensor4D, x as tf.Tensor2D)],
    ['guidedGradCam', (x: unknown) => guidedGradCam(x as tf.Tensor4D, x as tf.Tensor3D)],
    ['selectClassScores', (x: unknown) => selectClassScores(x as tf.Tensor2D, x as tf.Tensor1D)],
    ['gradientsForClass', (x: unknown) => gradientsForClass((a) => a as unknown as tf.Tensor2D, x as tf.Tensor4D)],
    ['gradientsOfScores', (x: unknown) => gradientsOfScores((a) => a as unknown as tf.Tensor1D, x as tf.Tensor4D)],
  ])(`%s: an argument that is not a tensor is a GradCamError (${RUNS} cases)`, (_name, f) => {
    holds(
      fc.property(notATensor, (junk) => {
        tf.tidy(() => {
          outcome(() => f(junk), () => {
            throw new Error(`accepted ${String(junk)}`);
          });
        });
      }),
    );
  });
});
