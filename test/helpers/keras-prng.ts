/**
 * The counter-based PRNG that fills the Keras fixture models' weights: the TypeScript twin of
 * scripts/fixtures/keras/prng.py, bit-identical in float32 (see there for the formula).
 */

// Read once: under Jest, each `Math.imul` lookup in this loop costs ~20× the multiply itself
// (measured: 8M weights in 9.4 s with the lookup, 0.2 s without), minutes over the fixtures.
const imul = Math.imul;

function mix(h: number): number {
  h = imul(h ^ (h >>> 16), 0x85ebca6b);
  h = imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Weight `stream` of the given shape, as Python's `fill(stream, shape)`. */
export function fill(seed: number, stream: number, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const base = (imul(stream, 0x9e3779b9) + imul(seed, 0x85ebca6b)) >>> 0;
  const scale = shape.length >= 2 ? Math.sqrt(3 / shape.slice(0, -1).reduce((a, b) => a * b, 1)) : 0;
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const u = (mix((base + k) >>> 0) >>> 8) / 8388608 - 1;
    out[k] = shape.length >= 2 ? u * scale : 1 + u / 5;
  }
  return out;
}
