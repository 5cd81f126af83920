import * as tf from '@tensorflow/tfjs-core';
import { ORIGINAL_FIXTURE_NAMES } from '../helpers/fixtures';
import { describeMethodParity } from './methods-suite';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// cpu: the two original networks (methods-wasm.test.ts runs every fixture).
describeMethodParity(ORIGINAL_FIXTURE_NAMES);
