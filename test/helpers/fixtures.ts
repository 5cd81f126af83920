import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Fixture } from './fixture-model';

// The browser-safe part (types, buildFixtureModel, toTensor) lives in fixture-model.ts; re-exported so imports from here keep working.
export * from './fixture-model';

/** The parity fixtures made with pytorch-grad-cam (see ../shared/README.md). */
// Relative to the repository root (jest's and the scripts' working directory): this file also runs as ESM, without __dirname.
export const FIXTURE_DIR = path.resolve(process.cwd(), '../shared/fixtures/parity');
export const FIXTURE_NAMES = ['plain', 'dw'] as const;

export function loadFixture(name: string): Fixture {
  return JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8')) as Fixture;
}

/** max |a − b| over all elements. */
export function maxAbsDiff(actual: tf.Tensor | ArrayLike<number>, expected: ArrayLike<number>): number {
  const a = actual instanceof tf.Tensor ? actual.dataSync() : actual;
  if (a.length !== expected.length) throw new Error(`length ${a.length} != ${expected.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - expected[i]));
  return m;
}

/** max |a − b| / max |b|: the error relative to the reference's scale. */
export function relativeDiff(actual: tf.Tensor | ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  return maxAbsDiff(actual, expected) / (scale || 1);
}
