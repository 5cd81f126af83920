import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { describeParity } from './parity-suite';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

// Raw gradients of `plain` match too: the library replaces wasm's MaxPoolGrad, which drops the
// gradient of windows tied at zero, with one that picks the first maximum like the reference.
describeParity();
