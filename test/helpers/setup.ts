import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Registers the layers API and, with it, the gradient functions the library needs.
import '@tensorflow/tfjs-layers';

// Silences the "looks like you are running TensorFlow.js in Node.js" banner (IS_TEST would
// also do it, but switches on a kernel check that misfires on wasm gradients).
tf.env().set('PROD', true);
