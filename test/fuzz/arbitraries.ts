import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { GradCamError } from '../../src';

/**
 * Shared pieces of the property-based tests: one fixed seed (so a failure reproduces), the
 * number of cases each property runs, value and tensor generators, and the contract every
 * public function keeps — a correct result, or a GradCamError with a code, never a raw
 * TypeError/RangeError and never a leaked tensor.
 */
export const SEED = 20261206;

/** Cases per property (a property may ask for more). */
export const RUNS = 100;

/** The codes a GradCamError may carry (src/errors.ts). */
export const CODES = [
  'UNKNOWN_LAYER', 'NOT_A_FEATURE_MAP', 'NO_FEATURE_MAP_LAYER', 'SHARED_LAYER', 'UNSUPPORTED_MODEL', 'BAD_INPUT',
  'NON_FINITE_INPUT', 'NON_FINITE_RESULT', 'BAD_CLASS_INDEX', 'SHAPE_MISMATCH', 'BAD_OPTION', 'UNKNOWN_COLORMAP',
];

/**
 * Runs a property `runs` times from {@link SEED} and fails with fast-check's report (the
 * shrunk counterexample and the seed and path to replay it). Returns the number of cases run,
 * so a test can state it.
 */
export function holds<T>(property: fc.IProperty<T>, runs = RUNS): number {
  const details = fc.check(property, { seed: SEED, numRuns: runs });
  if (details.failed) throw new Error(report(details));
  expect(details.numRuns).toBe(runs);
  return details.numRuns;
}

/** fast-check's report with the error the failing case raised. */
function report<T>(details: fc.RunDetails<T>): string {
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return `${fc.defaultReportMessage(details) ?? 'property failed'}\nError: ${cause}`;
}

/** The async form of {@link holds}. */
export async function holdsAsync<T>(property: fc.IAsyncProperty<T>, runs = RUNS): Promise<number> {
  const details = await fc.check(property, { seed: SEED, numRuns: runs });
  if (details.failed) throw new Error(report(details));
  expect(details.numRuns).toBe(runs);
  return details.numRuns;
}

/**
 * Calls `f` and checks the error half of the contract: it either returns (its result is
 * handed to `check`, then disposed by `dispose`) or throws a GradCamError with a known code.
 * Either way no tensor is left behind. Returns the error code, or undefined on success.
 */
export function outcome<R>(f: () => R, check: (r: R) => void, dispose: (r: R) => void = (r) => tf.dispose(r as unknown as tf.Tensor)): string | undefined {
  const before = tf.memory().numTensors;
  let result: R;
  try {
    result = f();
  } catch (err) {
    expectGradCamError(err);
    expect(tf.memory().numTensors).toBe(before);
    return (err as GradCamError).code;
  }
  try {
    check(result);
  } finally {
    dispose(result);
  }
  expect(tf.memory().numTensors).toBe(before);
  return undefined;
}

export function expectGradCamError(err: unknown): void {
  if (!(err instanceof GradCamError)) {
    const name = (err as Error)?.constructor?.name ?? typeof err;
    throw new Error(`expected a GradCamError, got ${name}: ${(err as Error)?.message ?? String(err)}`);
  }
  expect(CODES).toContain(err.code);
}

/** float32 values a map may hold: ordinary, huge (±1e30), tiny (denormals), zeros. */
export const value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1000, max: 1000, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(1e30, -1e30, 1e-40, -1e-40, 1.4e-45, 0, -0, 1, -1) },
).map(Math.fround);

/** Values also carrying NaN and ±Infinity, for inputs that may hold them. */
export const anyValue = fc.oneof({ weight: 8, arbitrary: value }, { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity) });

/** Values of a magnitude whose products with {@link value} stay inside float32. */
export const moderate = fc.oneof(fc.double({ min: -1000, max: 1000, noNaN: true }), fc.constantFrom(1e-40, 0, 1)).map(Math.fround);

/** A shape `[n, ...rest]` with the batch 1, 2 or 8 and each other size from 1 to `max` (non-square included). */
export function shape(rank: number, max = 6): fc.Arbitrary<number[]> {
  return fc.tuple(fc.constantFrom(1, 2, 8), fc.array(fc.integer({ min: 1, max }), { minLength: rank - 1, maxLength: rank - 1 })).map(([n, rest]) => [n, ...rest]);
}

/** Flat data for a shape: free values, or one constant everywhere. */
export function dataFor(size: number, values: fc.Arbitrary<number> = value): fc.Arbitrary<number[]> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(values, { minLength: size, maxLength: size }) },
    { weight: 1, arbitrary: values.map((v) => new Array<number>(size).fill(v)) },
  );
}

/** A tensor description (made into a tensor inside the property, so each case owns it). */
export interface TensorSpec {
  readonly shape: number[];
  readonly data: number[];
}

/** A tensor description of the given shape, its values drawn as {@link dataFor} draws them. */
export function specOf(shapeOf: number[], values: fc.Arbitrary<number> = value): fc.Arbitrary<TensorSpec> {
  return dataFor(shapeOf.reduce((a, b) => a * b, 1), values).map((data) => ({ shape: shapeOf, data }));
}

export function tensorSpec(rank: number, values: fc.Arbitrary<number> = value, max = 6): fc.Arbitrary<TensorSpec> {
  return shape(rank, max).chain((s) => specOf(s, values));
}

export function make(spec: TensorSpec): tf.Tensor {
  return tf.tensor(spec.data, spec.shape, 'float32');
}

/** Things that are not tensors, or tensors of the wrong kind, for arguments that must be tensors. */
export const notATensor: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, 0, 'tensor', true, [1, 2, 3], [[1]], {}, { shape: [1, 2], rank: 2 }),
  fc.anything({ maxDepth: 1 }),
);

/** Runs `body` with tensors made from specs, disposing them afterwards. */
export function withTensors<T>(specs: readonly TensorSpec[], body: (...ts: tf.Tensor[]) => T): T {
  const tensors = specs.map(make);
  try {
    return body(...tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** min and max of a list, ignoring nothing (callers pass finite data). */
export function range(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  return [lo, hi];
}

export function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}
