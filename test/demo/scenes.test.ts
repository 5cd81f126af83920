import * as tf from '@tensorflow/tfjs-core';
import { type Box, DEMO_CLASSES, DEMO_IMAGE_SIZE, type Scene, generateScenes, renderScene } from '../../src/demo';

const S = DEMO_IMAGE_SIZE;
const SEEDS = Array.from({ length: 50 }, (_, i) => 10_000 + i);

const pixel = (scene: Scene, row: number, col: number): number[] => Array.from(scene.image.subarray((row * S + col) * 3, (row * S + col) * 3 + 3));
const maxAbs = (a: number[], b: number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

/**
 * The 4-connected region of pixels with (almost) the colour of the pixel at the box centre, which
 * every class covers fully: the pixels the target covers completely. Returns its bounding box.
 */
function fillRegion(scene: Scene): Box {
  const { box } = scene;
  const side = box.bottom - box.top;
  const start: [number, number] = [box.top + Math.floor(side / 2), box.left + Math.floor(side / 2)];
  const colour = pixel(scene, ...start);
  const seen = new Set<number>([start[0] * S + start[1]]);
  const queue = [start];
  const region: Box = { top: S, left: S, bottom: 0, right: 0 };
  while (queue.length > 0) {
    const [r, c] = queue.pop() as [number, number];
    Object.assign(region, {
      top: Math.min(region.top, r),
      left: Math.min(region.left, c),
      bottom: Math.max(region.bottom, r + 1),
      right: Math.max(region.right, c + 1),
    });
    for (const [nr, nc] of [[r - 1, c], [r + 1, c], [r, c - 1], [r, c + 1]] as const) {
      if (nr < 0 || nc < 0 || nr >= S || nc >= S || seen.has(nr * S + nc)) continue;
      if (maxAbs(pixel(scene, nr, nc), colour) > 0.03) continue;
      seen.add(nr * S + nc);
      queue.push([nr, nc]);
    }
  }
  return region;
}

describe('renderScene', () => {
  it('is deterministic: the same seed gives the same image, label and box', () => {
    const a = renderScene(1234);
    const b = renderScene(1234);
    expect(b.label).toBe(a.label);
    expect(b.box).toEqual(a.box);
    expect(Buffer.from(b.image.buffer).equals(Buffer.from(a.image.buffer))).toBe(true);
  });

  it('gives different images for different seeds, also for neighbouring ones', () => {
    const images = [0, 1, 2, 2 ** 32, 2 ** 32 + 1].map((seed) => renderScene(seed).image);
    for (let i = 0; i < images.length; i++) {
      for (let j = i + 1; j < images.length; j++) {
        const differing = images[i].filter((v, k) => Math.abs(v - images[j][k]) > 0.05).length;
        expect(differing).toBeGreaterThan(images[i].length / 4);
      }
    }
  });

  it('makes 64×64 RGB images with values in [0, 1]', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const { image } = renderScene(seed);
      expect(image).toBeInstanceOf(Float32Array);
      expect(image.length).toBe(S * S * 3);
      expect(Math.min(...image)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...image)).toBeLessThanOrEqual(1);
    }
  });

  it('covers all five classes over 50 seeds, each at least 4 times', () => {
    const counts = DEMO_CLASSES.map(() => 0);
    for (const seed of SEEDS) counts[renderScene(seed).label]++;
    expect(counts.every((c) => c >= 4)).toBe(true);
    expect(DEMO_CLASSES).toEqual(['circle', 'square', 'triangle', 'cross', 'star']);
  });

  it('keeps boxes square, inside the image, 15–40 % of the side (±1 px), at varied positions', () => {
    const corners = new Set<string>();
    for (const seed of SEEDS) {
      const { box } = renderScene(seed);
      const [height, width] = [box.bottom - box.top, box.right - box.left];
      expect(height).toBe(width);
      expect(height).toBeGreaterThanOrEqual(0.15 * S - 1);
      expect(height).toBeLessThanOrEqual(0.4 * S + 1);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.bottom).toBeLessThanOrEqual(S);
      expect(box.right).toBeLessThanOrEqual(S);
      corners.add(`${box.top},${box.left}`);
    }
    expect(corners.size).toBeGreaterThan(40);
  });

  it('returns the box the shape fills: its solid pixels stay inside and reach within 3 px of every side', () => {
    // Anti-aliased rows at the tips (triangle apex, star points) are only partly covered, hence
    // the 3-pixel allowance; a box one pixel too small, shifted or transposed fails.
    for (const seed of SEEDS) {
      const scene = renderScene(seed);
      const { box } = scene;
      const region = fillRegion(scene);
      expect(region.top).toBeGreaterThanOrEqual(box.top);
      expect(region.left).toBeGreaterThanOrEqual(box.left);
      expect(region.bottom).toBeLessThanOrEqual(box.bottom);
      expect(region.right).toBeLessThanOrEqual(box.right);
      const gaps = [region.top - box.top, region.left - box.left, box.bottom - region.bottom, box.right - region.right];
      expect({ seed, gaps, ok: gaps.every((g) => g <= 3) }).toEqual({ seed, gaps, ok: true });
    }
  });

  it('squares fill their box exactly', () => {
    const squares = SEEDS.map((seed) => renderScene(seed)).filter((s) => DEMO_CLASSES[s.label] === 'square');
    expect(squares.length).toBeGreaterThan(0);
    for (const scene of squares) expect(fillRegion(scene)).toEqual(scene.box);
  });

  it('makes the target stand out from the background around its box', () => {
    for (const seed of SEEDS) {
      const scene = renderScene(seed);
      const { box } = scene;
      const side = box.bottom - box.top;
      const target = pixel(scene, box.top + Math.floor(side / 2), box.left + Math.floor(side / 2));
      // The ring of pixels just outside the box: background only (distractors keep off it).
      const ring: number[][] = [];
      for (let r = box.top - 1; r <= box.bottom; r++) {
        for (let c = box.left - 1; c <= box.right; c++) {
          const onRing = r === box.top - 1 || r === box.bottom || c === box.left - 1 || c === box.right;
          if (onRing && r >= 0 && c >= 0 && r < S && c < S) ring.push(pixel(scene, r, c));
        }
      }
      const mean = [0, 1, 2].map((k) => ring.reduce((sum, p) => sum + p[k], 0) / ring.length);
      expect(Math.hypot(...mean.map((m, k) => m - target[k]))).toBeGreaterThan(0.3);
    }
  });

  it('renders other sizes, scaling the box limits with the side', () => {
    const scene = renderScene(7, 96);
    expect(scene.image.length).toBe(96 * 96 * 3);
    const side = scene.box.bottom - scene.box.top;
    expect(side).toBeGreaterThanOrEqual(0.15 * 96 - 1);
    expect(side).toBeLessThanOrEqual(0.4 * 96 + 1);
  });

  it('rejects bad seeds and sizes', () => {
    expect(() => renderScene(1.5)).toThrow(RangeError);
    expect(() => renderScene(Number.NaN)).toThrow(RangeError);
    expect(() => renderScene(1, 8)).toThrow(RangeError);
  });
});

describe('generateScenes', () => {
  it('batches the scenes of consecutive seeds as a [N,64,64,3] float32 tensor in [0, 1]', async () => {
    const before = tf.memory().numTensors;
    const { images, labels, boxes } = generateScenes(6, 500);
    expect(images.shape).toEqual([6, S, S, 3]);
    expect(images.dtype).toBe('float32');
    const data = await images.data();
    expect(Math.min(...data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...data)).toBeLessThanOrEqual(1);
    for (let i = 0; i < 6; i++) {
      const scene = renderScene(500 + i);
      expect(labels[i]).toBe(scene.label);
      expect(boxes[i]).toEqual(scene.box);
      expect(Array.from(data.subarray(i * S * S * 3, (i + 1) * S * S * 3))).toEqual(Array.from(scene.image));
    }
    images.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('creates exactly one tensor, and none when it throws', () => {
    const before = tf.memory().numTensors;
    const { images } = generateScenes(2, 0, 32);
    expect(images.shape).toEqual([2, 32, 32, 3]);
    expect(tf.memory().numTensors).toBe(before + 1);
    images.dispose();
    expect(() => generateScenes(-1, 0)).toThrow(RangeError);
    expect(() => generateScenes(2, 0.5)).toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(before);
  });
});
