import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, type ScoreHead, gradientsForClass } from '../../src';
import { expectClose as expectCloseTo, expectGradCamError } from '../helpers/expect';

/** Tolerance for these float32 sums. */
const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void =>
  expectCloseTo(actual, expected, tol);

/*
 * A linear head on activations [N,2,2,2] (8 features p = ((h·2)+w)·2 + c) with K = 3 classes:
 * scores[n,k] = Σ_p A[n,p]·W[p,k], so ∂score_k/∂A[n] = W[:,k] for every image.
 */
const H = 2;
const W_ = 2;
const C = 2;
const P = H * W_ * C;
const K = 3;
const COLUMNS = [
  [1, 2, 3, 4, 5, 6, 7, 8], // class 0
  [-1, 0, 1, 0, -1, 0, 1, 0], // class 1
  [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], // class 2
];
/** W as [P,K], row-major. */
const W_FLAT = Array.from({ length: P }, (_, p) => COLUMNS.map((col) => col[p])).flat();

/*
 * Image 0: all ones → scores [36, 0, 4] (1+…+8 = 36; −1+1−1+1 = 0; 8·0.5 = 4) → top class 0.
 * Image 1: −1 at p = 4, else 0 → scores [−5, 1, −0.5] → top class 1.
 */
const IMAGE0 = [1, 1, 1, 1, 1, 1, 1, 1];
const IMAGE1 = [0, 0, 0, 0, -1, 0, 0, 0];
const SCORES = [
  [36, 0, 4],
  [-5, 1, -0.5],
];

let weights: tf.Tensor2D;
beforeAll(() => {
  weights = tf.tensor2d(W_FLAT, [P, K]);
});
afterAll(() => weights.dispose());

const linearHead: ScoreHead = (a) => {
  const n = a.shape[0];
  return tf.matMul(tf.reshape(a, [n, P]), weights) as tf.Tensor2D;
};

/** scores[n,k] = Σ_p A[n,p]²·W[p,k], so ∂score_k/∂A[n] = 2·A[n]·W[:,k]. */
const quadraticHead: ScoreHead = (a) => {
  const n = a.shape[0];
  return tf.matMul(tf.reshape(tf.square(a), [n, P]), weights) as tf.Tensor2D;
};

function activations(...images: number[][]): tf.Tensor4D {
  return tf.tensor4d(images.flat(), [images.length, H, W_, C]);
}

interface Read {
  gradients: { shape: number[]; values: Float32Array };
  scores: { shape: number[]; values: Float32Array };
  classIndex: { shape: number[]; dtype: string; values: number[] };
}

/** Calls gradientsForClass, reads and disposes everything it returns, and checks for leaks. */
function run(head: ScoreHead, a: tf.Tensor4D, classIndex?: number | number[]): Read {
  const before = tf.memory().numTensors;
  const r = gradientsForClass(head, a, classIndex);
  const out: Read = {
    gradients: { shape: r.gradients.shape, values: r.gradients.dataSync() as Float32Array },
    scores: { shape: r.scores.shape, values: r.scores.dataSync() as Float32Array },
    classIndex: {
      shape: r.classIndex.shape,
      dtype: r.classIndex.dtype,
      values: Array.from(r.classIndex.dataSync()),
    },
  };
  tf.dispose([r.gradients, r.scores, r.classIndex]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('gradientsForClass with a linear head', () => {
  it('gives W[...,k] for a single class number, for every image', () => {
    const a = activations(IMAGE0, IMAGE1);
    const r = run(linearHead, a, 2);
    expect(r.gradients.shape).toEqual([2, H, W_, C]);
    expectClose(r.gradients.values, [...COLUMNS[2], ...COLUMNS[2]]);
    expect(r.scores.shape).toEqual([2]);
    expectClose(r.scores.values, [SCORES[0][2], SCORES[1][2]]);
    expect(r.classIndex).toEqual({ shape: [2], dtype: 'int32', values: [2, 2] });
    a.dispose();
  });

  it('gives each image the gradient of its own class for per-image classes [1, 0]', () => {
    const a = activations(IMAGE0, IMAGE1);
    const r = run(linearHead, a, [1, 0]);
    expectClose(r.gradients.values, [...COLUMNS[1], ...COLUMNS[0]]);
    expectClose(r.scores.values, [SCORES[0][1], SCORES[1][0]]); // [0, −5]
    expect(r.classIndex).toEqual({ shape: [2], dtype: 'int32', values: [1, 0] });
    a.dispose();
  });

  it('explains each image\'s top class by default', () => {
    const a = activations(IMAGE0, IMAGE1);
    const r = run(linearHead, a);
    // top classes: image 0 → 0 (36), image 1 → 1 (1)
    expect(r.classIndex).toEqual({ shape: [2], dtype: 'int32', values: [0, 1] });
    expectClose(r.gradients.values, [...COLUMNS[0], ...COLUMNS[1]]);
    expectClose(r.scores.values, [36, 1]);
    a.dispose();
  });

  it('returns tensors that an enclosing tf.tidy frees, classIndex included', () => {
    const a = activations(IMAGE0, IMAGE1);
    const before = tf.memory().numTensors;
    for (const classIndex of [undefined, 1]) {
      tf.tidy(() => {
        gradientsForClass(linearHead, a, classIndex);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });

  it('works for a single image', () => {
    const a = activations(IMAGE1);
    const r = run(linearHead, a, 0);
    expect(r.gradients.shape).toEqual([1, H, W_, C]);
    expectClose(r.gradients.values, COLUMNS[0]);
    expectClose(r.scores.values, [-5]);
    expect(r.classIndex.values).toEqual([0]);
    a.dispose();
  });
});

describe('gradientsForClass keeps images apart', () => {
  it('image 0\'s gradient does not depend on image 1\'s class (image 1 all zeros)', () => {
    const zeros = new Array<number>(P).fill(0);
    const a = activations(IMAGE0, zeros);
    const r01 = run(linearHead, a, [0, 1]);
    const r02 = run(linearHead, a, [0, 2]);
    expectClose(r01.gradients.values.slice(0, P), COLUMNS[0]);
    expectClose(r02.gradients.values.slice(0, P), COLUMNS[0]);
    expectClose(r01.gradients.values.slice(P), COLUMNS[1]);
    expectClose(r02.gradients.values.slice(P), COLUMNS[2]);
    // scores: image 0 scores 36 for class 0; image 1 (zeros) scores 0 for every class
    expectClose(r01.scores.values, [36, 0]);
    expectClose(r02.scores.values, [36, 0]);
    a.dispose();
  });

  it('with a quadratic head: image 0 gets 2·A0·W[:,k0], the zero image gets 0', () => {
    const zeros = new Array<number>(P).fill(0);
    const image0 = [1, -1, 2, 0, 0.5, 3, -2, 1];
    const a = activations(image0, zeros);
    for (const k1 of [0, 1, 2]) {
      const r = run(quadraticHead, a, [1, k1]);
      const expected0 = image0.map((v, p) => 2 * v * COLUMNS[1][p]);
      expectClose(r.gradients.values, [...expected0, ...zeros]);
      // score_1(image0) = Σ A²·W[:,1] = 1·(−1) + 1·0 + 4·1 + 0 + 0.25·(−1) + 9·0 + 4·1 + 1·0 = 6.75
      expectClose(r.scores.values, [6.75, 0]);
    }
    a.dispose();
  });
});

/** Calls `fn` and returns what it threw (failing when it did not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('gradientsForClass errors', () => {
  it.each([
    ['a non-integer class', 1.5, '1.5'],
    ['a negative class', -1, '-1'],
    ['NaN', NaN, 'NaN'],
    ['a per-image list with a negative entry', [-1, 0], '-1'],
    ['a per-image list with a non-integer entry', [0, 0.5], '0.5'],
    ['a per-image list that is too short', [0], '1 entries'],
    ['a per-image list that is too long', [0, 1, 2], '3 entries'],
  ])('rejects %s with BAD_CLASS_INDEX and leaks nothing', (_why, classIndex, shown) => {
    const a = activations(IMAGE0, IMAGE1);
    const err = expectGradCamError(() => gradientsForClass(linearHead, a, classIndex), 'BAD_CLASS_INDEX');
    expect(err.message).toContain(shown);
    a.dispose();
  });

  // Out-of-range classes can only be checked once the head has told K, i.e. inside the taped
  // forward pass; the tests further down check that nothing leaks then.
  it.each([
    ['class = K', 3],
    ['a class far out of range', 100],
    ['a per-image list with an out-of-range entry', [0, 3]],
  ])('rejects %s with BAD_CLASS_INDEX naming K', (_why, classIndex) => {
    const a = activations(IMAGE0, IMAGE1);
    const err = thrown(() => gradientsForClass(linearHead, a, classIndex));
    expect(err).toBeInstanceOf(GradCamError);
    expect((err as GradCamError).code).toBe('BAD_CLASS_INDEX');
    expect((err as GradCamError).message).toContain('3 classes');
    a.dispose();
  });

  const badHeads: Array<[string, (a: tf.Tensor4D) => tf.Tensor2D]> = [
    ['a 1-D tensor', (a) => tf.reshape(a, [-1]) as unknown as tf.Tensor2D],
    ['a 4-D tensor', (a) => a as unknown as tf.Tensor2D],
    ['[N+1,K]', () => tf.zeros([3, K]) as tf.Tensor2D],
    ['[1,K] for N=2', (a) => tf.slice(linearHead(a), [0, 0], [1, K]) as tf.Tensor2D],
  ];

  it.each(badHeads)('rejects a head returning %s with UNSUPPORTED_MODEL naming the shape', (_why, head) => {
    const a = activations(IMAGE0, IMAGE1);
    for (const classIndex of [0, undefined]) {
      const err = thrown(() => gradientsForClass(head, a, classIndex));
      expect(err).toBeInstanceOf(GradCamError);
      expect((err as GradCamError).code).toBe('UNSUPPORTED_MODEL');
      expect((err as GradCamError).message).toContain('N=2');
    }
    a.dispose();
  });

  it.each(badHeads.filter(([why]) => why === 'a 4-D tensor' || why === '[N+1,K]'))(
    'leaks nothing when a head that ran no taped op returns %s',
    (_why, head) => {
      const a = activations(IMAGE0, IMAGE1);
      expectGradCamError(() => gradientsForClass(head, a, 0), 'UNSUPPORTED_MODEL');
      expectGradCamError(() => gradientsForClass(head, a), 'UNSUPPORTED_MODEL');
      a.dispose();
    },
  );

  it.each([
    [[2, 8]],
    [[2, 2, 2]],
    [[1, 2, 2, 2, 1]],
  ])('rejects activations of shape %j with SHAPE_MISMATCH and leaks nothing', (shape) => {
    const a = tf.zeros(shape);
    const err = expectGradCamError(() => gradientsForClass(linearHead, a as tf.Tensor4D, 0), 'SHAPE_MISMATCH');
    expect(err.message).toContain(`[${shape.join(',')}]`);
    a.dispose();
  });

  it('passes a head\'s own error through', () => {
    const a = activations(IMAGE0, IMAGE1);
    const boom: ScoreHead = () => {
      throw new Error('boom');
    };
    const before = tf.memory().numTensors;
    expect(() => gradientsForClass(boom, a, 0)).toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });
});

/*
 * An error raised inside the taped forward pass (after the head ran ops) must not strand the
 * tensors those ops saved for the backward pass: tfjs frees them only at the end of a backward
 * pass.
 */
describe('gradientsForClass errors thrown after the head ran', () => {
  it.each([
    ['class = K', 3],
    ['a class far out of range', 100],
    ['a per-image list with an out-of-range entry', [0, 3]],
  ])('leaks nothing on BAD_CLASS_INDEX for %s', (_why, classIndex) => {
    const a = activations(IMAGE0, IMAGE1);
    try {
      expectGradCamError(() => gradientsForClass(linearHead, a, classIndex), 'BAD_CLASS_INDEX');
    } finally {
      a.dispose();
    }
  });

  it.each([
    ['a 1-D tensor', (a: tf.Tensor4D) => tf.reshape(a, [-1]) as unknown as tf.Tensor2D],
    ['[1,K] for N=2', (a: tf.Tensor4D) => tf.slice(linearHead(a), [0, 0], [1, K]) as tf.Tensor2D],
  ])('leaks nothing on UNSUPPORTED_MODEL when the head returns %s', (_why, head) => {
    const a = activations(IMAGE0, IMAGE1);
    try {
      expectGradCamError(() => gradientsForClass(head, a), 'UNSUPPORTED_MODEL');
    } finally {
      a.dispose();
    }
  });

  it('leaks nothing when the head throws after running an op', () => {
    const a = activations(IMAGE0, IMAGE1);
    const boom: ScoreHead = (x) => {
      tf.square(x);
      throw new Error('boom');
    };
    const before = tf.memory().numTensors;
    try {
      expect(() => gradientsForClass(boom, a, 0)).toThrow('boom');
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      a.dispose();
    }
  });
});

/*
 * A head with a single score (K = 1, e.g. a binary classifier's one logit) is a valid [N,K]:
 * for scores[n] = Σ_p A[n,p]·W[p], d score/dA is W.
 */
describe('gradientsForClass with a single-score head', () => {
  it('gives W for K = 1 and leaks nothing', () => {
    const column = tf.tensor2d(COLUMNS[0], [P, 1]);
    const head: ScoreHead = (a) => tf.matMul(tf.reshape(a, [a.shape[0], P]), column) as tf.Tensor2D;
    const a = activations(IMAGE0, IMAGE1);
    try {
      for (const classIndex of [0, undefined]) {
        const r = run(head, a, classIndex);
        expectClose(r.gradients.values, [...COLUMNS[0], ...COLUMNS[0]]);
        expectClose(r.scores.values, [36, -5]);
        expect(r.classIndex.values).toEqual([0, 0]);
      }
    } finally {
      tf.dispose([a, column]);
    }
  });
});
