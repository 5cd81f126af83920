import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { DEMO_MODEL_TOPOLOGY, DEMO_MODEL_WEIGHTS_BASE64, DEMO_MODEL_WEIGHT_SPECS } from './demo-model-data';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes standard base64 (no Buffer, no atob: the same code in Node and browsers). */
export function decodeBase64(text: string): Uint8Array {
  const values = new Uint8Array(128).fill(255);
  for (let i = 0; i < ALPHABET.length; i++) values[ALPHABET.charCodeAt(i)] = i;
  const clean = text.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let [bits, count, out] = [0, 0, 0];
  for (let i = 0; i < clean.length; i++) {
    const code = clean.charCodeAt(i);
    const v = code < 128 ? values[code] : 255;
    if (v === 255) throw new Error(`invalid base64 character at ${i}`);
    bits = ((bits << 6) | v) & 0xffffff; // keep only the bits not yet written
    count += 6;
    if (count >= 8) {
      count -= 8;
      bytes[out++] = (bits >> count) & 0xff;
    }
  }
  return bytes;
}

/**
 * The demo classifier that ships with the package, trained on the procedural scenes of
 * {@link renderScene} (held-out accuracy and localization scores: docs/evaluation.md).
 *
 * Input `[N,64,64,3]` RGB in [0, 1]; output `[N,5]` softmax probabilities over
 * {@link DEMO_CLASSES}. Its last convolution, `'features'` (32×32×32, ReLU), feeds global average
 * pooling and one Dense layer, so Grad-CAM and CAM both apply.
 *
 * The weights are embedded in the package: no file or network access, in Node and browsers.
 * Each call builds a new model; dispose it with `model.dispose()` when done.
 */
export async function loadDemoModel(): Promise<LayersModel> {
  const weights = decodeBase64(DEMO_MODEL_WEIGHTS_BASE64);
  const handler = tf.io.fromMemory({
    modelTopology: JSON.parse(DEMO_MODEL_TOPOLOGY) as object,
    weightSpecs: DEMO_MODEL_WEIGHT_SPECS,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  });
  return loadLayersModel(handler);
}
