import * as tf from '@tensorflow/tfjs-core';
import { type Random, gaussian, mixSeed, mulberry32, randomInt, uniform } from './prng';

/** The demo classes, in the order of the demo model's outputs. */
export const DEMO_CLASSES = ['circle', 'square', 'triangle', 'cross', 'star'] as const;

/** The side of the demo scenes and of the demo model's input, in pixels. */
export const DEMO_IMAGE_SIZE = 64;

/** An axis-aligned box in pixels; `bottom` and `right` are exclusive. */
export interface Box {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** One procedural scene: an image with one target shape, its class and its bounding box. */
export interface Scene {
  /** `H·W·3` values, RGB in [0, 1], row-major (channels last). */
  image: Float32Array;
  /** The target shape's index in {@link DEMO_CLASSES}. */
  label: number;
  /** The target shape's bounding box: the shape touches all four sides. */
  box: Box;
}

type Rgb = [number, number, number];

/** Smallest and largest target side, as fractions of the image side. */
const MIN_SIDE = 0.15;
const MAX_SIDE = 0.4;
/** Minimum RGB distance between the target colour and the background under it. */
const MIN_CONTRAST = 0.45;
/** Subsamples per pixel side when rasterizing the target (anti-aliasing). */
const SUPERSAMPLE = 4;

/**
 * Renders one scene: a smooth background (a linear colour gradient, a faint wave and pixel
 * noise), 0–3 soft distractor blobs or elongated ellipses (never one of the classes, kept off the
 * target), and one target shape of a random class, colour, size (15–40 % of the side) and
 * position, drawn last with anti-aliased edges.
 *
 * Deterministic: the same `(seed, size)` always gives the same scene, on any platform.
 *
 * @param seed a safe integer.
 * @param size the image side in pixels (default {@link DEMO_IMAGE_SIZE}), an integer ≥ 16.
 * @throws RangeError for a seed that is not a safe integer or a bad size.
 */
export function renderScene(seed: number, size: number = DEMO_IMAGE_SIZE): Scene {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  if (!Number.isInteger(size) || size < 16) throw new RangeError(`size must be an integer ≥ 16, got ${size}`);
  const random = mulberry32(mixSeed(seed));
  const image = new Float32Array(size * size * 3);
  const backgroundAt = drawBackground(image, size, random);

  const label = randomInt(random, 0, DEMO_CLASSES.length - 1);
  const side = randomInt(random, Math.ceil(MIN_SIDE * size), Math.floor(MAX_SIDE * size));
  const top = randomInt(random, 0, size - side);
  const left = randomInt(random, 0, size - side);
  const box: Box = { top, left, bottom: top + side, right: left + side };

  const under = [
    [top, left],
    [top, box.right],
    [box.bottom, left],
    [box.bottom, box.right],
    [top + side / 2, left + side / 2],
  ].map(([y, x]) => backgroundAt(x, y));
  const colour = contrastingColour(random, under);

  const distractors = randomInt(random, 0, 3);
  for (let i = 0; i < distractors; i++) drawDistractor(image, size, box, colour, random);
  drawTarget(image, size, box, DEMO_CLASSES[label], colour);
  return { image, label, box };
}

/**
 * Renders `count` scenes from the consecutive seeds `seed`, `seed + 1`, … as one batch.
 *
 * @returns `images` `[count,H,W,3]` float32 in [0, 1] (the caller disposes it), and each scene's
 *   label and box.
 * @throws RangeError for a negative or non-integer count, or as {@link renderScene}.
 */
export function generateScenes(
  count: number,
  seed: number,
  size: number = DEMO_IMAGE_SIZE,
): { images: tf.Tensor4D; labels: number[]; boxes: Box[] } {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const pixels = size * size * 3;
  const data = new Float32Array(count * pixels);
  const labels: number[] = [];
  const boxes: Box[] = [];
  for (let i = 0; i < count; i++) {
    const scene = renderScene(seed + i, size);
    data.set(scene.image, i * pixels);
    labels.push(scene.label);
    boxes.push(scene.box);
  }
  return { images: tf.tensor4d(data, [count, size, size, 3]), labels, boxes };
}

function randomColour(random: Random): Rgb {
  return [random(), random(), random()];
}

function distance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Fills `image` with the background and returns its noise-free colour at a point, which the
 * target's colour must stand out from.
 */
function drawBackground(image: Float32Array, size: number, random: Random): (x: number, y: number) => Rgb {
  const from = randomColour(random);
  const to = randomColour(random);
  const angle = uniform(random, 0, 2 * Math.PI);
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  const waveAmplitude = uniform(random, 0, 0.08);
  const waveAngle = uniform(random, 0, 2 * Math.PI);
  const waveFrequency = (2 * Math.PI * uniform(random, 0.5, 1.5)) / size; // 0.5–1.5 periods per image
  const [wx, wy] = [Math.cos(waveAngle) * waveFrequency, Math.sin(waveAngle) * waveFrequency];
  const wavePhase = uniform(random, 0, 2 * Math.PI);
  const noise = uniform(random, 0.01, 0.04);

  const at = (x: number, y: number): Rgb => {
    const t = clamp01(((x - size / 2) * dx + (y - size / 2) * dy) / size + 0.5);
    const wave = waveAmplitude * Math.sin(x * wx + y * wy + wavePhase);
    return [0, 1, 2].map((c) => from[c] + (to[c] - from[c]) * t + wave) as Rgb;
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const colour = at(x + 0.5, y + 0.5);
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) image[i + c] = clamp01(colour[c] + noise * gaussian(random));
    }
  }
  return at;
}

/** A random colour at least {@link MIN_CONTRAST} from every background sample under the target. */
function contrastingColour(random: Random, under: readonly Rgb[]): Rgb {
  const contrast = (c: Rgb): number => Math.min(...under.map((u) => distance(c, u)));
  for (let attempt = 0; attempt < 100; attempt++) {
    const colour = randomColour(random);
    if (contrast(colour) >= MIN_CONTRAST) return colour;
  }
  // Rare (a background gradient spanning the colour cube under the box): the best cube corner.
  const corners: Rgb[] = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => [k & 1, (k >> 1) & 1, (k >> 2) & 1]);
  return corners.reduce((best, c) => (contrast(c) > contrast(best) ? c : best));
}

/**
 * Draws one distractor, kept off the target's box (with a 2-pixel margin): a soft Gaussian blob
 * or an elongated soft-edged ellipse (aspect ≥ 1.8, so never a circle). Half of them take a
 * colour close to the target's, so colour alone does not give the target away.
 */
function drawDistractor(image: Float32Array, size: number, target: Box, targetColour: Rgb, random: Random): void {
  const blob = random() < 0.5;
  const angle = uniform(random, 0, Math.PI);
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  let a: number; // semi-axes, pixels
  let b: number;
  let extent: number; // radius beyond which the distractor is invisible
  if (blob) {
    a = uniform(random, 0.035, 0.08) * size; // Gaussian σ along each axis
    b = uniform(random, 0.035, 0.08) * size;
    extent = 2.5 * Math.max(a, b);
  } else {
    a = uniform(random, 0.07, 0.16) * size;
    b = a / uniform(random, 1.8, 3);
    extent = a + 2;
  }
  const peak = uniform(random, 0.5, 0.9);
  const colour: Rgb =
    random() < 0.5 ? (targetColour.map((c) => clamp01(c + uniform(random, -0.25, 0.25))) as Rgb) : randomColour(random);

  let cx = 0;
  let cy = 0;
  let placed = false;
  for (let attempt = 0; attempt < 30 && !placed; attempt++) {
    cx = uniform(random, 0, size);
    cy = uniform(random, 0, size);
    placed =
      cx + extent < target.left - 2 ||
      cx - extent > target.right + 2 ||
      cy + extent < target.top - 2 ||
      cy - extent > target.bottom + 2;
  }
  if (!placed) return;

  const [x0, x1] = [Math.max(0, Math.floor(cx - extent)), Math.min(size, Math.ceil(cx + extent))];
  const [y0, y1] = [Math.max(0, Math.floor(cy - extent)), Math.min(size, Math.ceil(cy + extent))];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const [px, py] = [x + 0.5 - cx, y + 0.5 - cy];
      const u = (px * cos + py * sin) / a;
      const v = (-px * sin + py * cos) / b;
      const d2 = u * u + v * v;
      // Blob: Gaussian falloff. Ellipse: flat inside, a ~1.5-pixel soft edge.
      const alpha = peak * (blob ? Math.exp(-d2 / 2) : clamp01(0.5 - ((Math.sqrt(d2) - 1) * b) / 1.5));
      if (alpha <= 0) continue;
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) image[i + c] = image[i + c] * (1 - alpha) + colour[c] * alpha;
    }
  }
}

/** The star's 10 vertices, scaled to fill the unit square (so it touches all sides of its box). */
export const STAR: ReadonlyArray<readonly [number, number]> = (() => {
  const points = Array.from({ length: 10 }, (_, k) => {
    const angle = -Math.PI / 2 + (k * Math.PI) / 5;
    const radius = k % 2 === 0 ? 1 : 0.45;
    return [radius * Math.cos(angle), radius * Math.sin(angle)] as const;
  });
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return points.map(([x, y]) => [(x - minX) / (maxX - minX), (y - minY) / (maxY - minY)] as const);
})();

function insidePolygon(u: number, v: number, polygon: ReadonlyArray<readonly [number, number]>): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > v !== yj > v && u < ((xj - xi) * (v - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether the point (u, v) of the unit square lies inside the shape that fills it. */
function insideShape(shape: (typeof DEMO_CLASSES)[number], u: number, v: number): boolean {
  switch (shape) {
    case 'circle':
      return (u - 0.5) ** 2 + (v - 0.5) ** 2 <= 0.25;
    case 'square':
      return true;
    case 'triangle': // apex at the top centre, base along the bottom
      return Math.abs(u - 0.5) <= v / 2;
    case 'cross': // a plus of two bars a third of the side thick
      return Math.abs(u - 0.5) <= 1 / 6 || Math.abs(v - 0.5) <= 1 / 6;
    case 'star':
      return insidePolygon(u, v, STAR);
  }
}

/** Draws the target over its box, each pixel blended by the fraction of its subsamples inside. */
function drawTarget(image: Float32Array, size: number, box: Box, shape: (typeof DEMO_CLASSES)[number], colour: Rgb): void {
  const side = box.bottom - box.top;
  const samples = SUPERSAMPLE * SUPERSAMPLE;
  for (let y = box.top; y < box.bottom; y++) {
    for (let x = box.left; x < box.right; x++) {
      let hits = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const u = (x - box.left + (sx + 0.5) / SUPERSAMPLE) / side;
          const v = (y - box.top + (sy + 0.5) / SUPERSAMPLE) / side;
          if (insideShape(shape, u, v)) hits++;
        }
      }
      if (hits === 0) continue;
      const coverage = hits / samples;
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) image[i + c] = image[i + c] * (1 - coverage) + colour[c] * coverage;
    }
  }
}
