/**
 * A small seeded PRNG (mulberry32), so every scene is reproducible from its seed on any
 * platform. Not for cryptography.
 */

/** A stream of uniform numbers in [0, 1). */
export type Random = () => number;

/** Mixes a safe integer seed into 32 bits (murmur3's finalizer), so nearby seeds give unrelated streams. */
export function mixSeed(seed: number): number {
  const high = Math.floor(seed / 4294967296);
  let h = (seed >>> 0) ^ Math.imul(high >>> 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: a 32-bit generator with a period of 2^32, good enough for procedural data. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform number in [low, high). */
export function uniform(random: Random, low: number, high: number): number {
  return low + (high - low) * random();
}

/** A uniform integer in [low, high] (both included). */
export function randomInt(random: Random, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** A standard normal number (Box–Muller). */
export function gaussian(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(u) stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
