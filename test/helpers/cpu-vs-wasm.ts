import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { ensureGradientKernels } from '../../src';

/**
 * Runs `compute` on the cpu backend (the reference), then on wasm with the kernels the library
 * supplies, and checks that the wasm run leaves no tensor behind. `compute` must return plain
 * values (read inside its own `tf.tidy`), not tensors.
 */
export async function onCpuThenWasm<T>(compute: () => T): Promise<{ cpu: T; wasm: T }> {
  await tf.setBackend('cpu');
  const cpu = compute();
  await tf.setBackend('wasm');
  ensureGradientKernels();
  const before = tf.memory().numTensors;
  const wasm = compute();
  expect(tf.memory().numTensors).toBe(before);
  return { cpu, wasm };
}
