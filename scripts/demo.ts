/**
 * `npm run demo`: renders fresh demo scenes, explains the demo model's prediction for each with
 * Grad-CAM, and writes to out/ (or --out):
 *
 * - demo-<i>-overlay.png: each scene's overlay, 4× larger (nearest neighbour);
 * - demo-contact-sheet.png: one row per scene: scene | heatmap | overlay | top-3 classes.
 *
 * Options: --seed N (default: a new one each run, printed so the run can be repeated),
 * --count N (default 6), --out DIR (default out), --method NAME (default gradcam).
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { CAM_METHODS, type CamMethodName, GradCam, applyColormap, blend } from '../src';
import { DEMO_CLASSES, DEMO_IMAGE_SIZE, generateScenes, loadDemoModel } from '../src/demo';
import { writeImage } from '../src/node';

const SCALE = 4; // 64 px tiles shown as 256 px
const TILE = DEMO_IMAGE_SIZE * SCALE;
const GAP = 12;
const MARGIN = 16;
const PANEL = 300; // width of the label panel
const HEADER = 44;
const BACKGROUND: Rgb = [250, 250, 250];
const INK: Rgb = [30, 30, 30];
const MUTED: Rgb = [120, 120, 120];
const RIGHT: Rgb = [46, 160, 67];
const WRONG: Rgb = [214, 90, 40];
const BAR_BACK: Rgb = [225, 225, 225];
const BAR_OTHER: Rgb = [110, 130, 170];

type Rgb = readonly [number, number, number];

// A 5×7 bitmap font (capitals, digits, a few signs): text without a font library or system fonts.
const FONT: Record<string, readonly string[]> = {
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '#...#', '####.', '#...#', '#...#', '####.'],
  C: ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  D: ['####.', '#...#', '#...#', '#...#', '#...#', '#...#', '####.'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  G: ['.###.', '#...#', '#....', '#.###', '#...#', '#...#', '.####'],
  H: ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  J: ['..###', '...#.', '...#.', '...#.', '...#.', '#..#.', '.##..'],
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  N: ['#...#', '#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#'],
  O: ['.###.', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  Q: ['.###.', '#...#', '#...#', '#...#', '#.#.#', '#..#.', '.##.#'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  U: ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  W: ['#...#', '#...#', '#...#', '#.#.#', '#.#.#', '#.#.#', '.#.#.'],
  X: ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'],
  Y: ['#...#', '#...#', '.#.#.', '..#..', '..#..', '..#..', '..#..'],
  Z: ['#####', '....#', '...#.', '..#..', '.#...', '#....', '#####'],
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  '%': ['##...', '##..#', '...#.', '..#..', '.#...', '#..##', '...##'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  ':': ['.....', '.##..', '.##..', '.....', '.##..', '.##..', '.....'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  '+': ['.....', '..#..', '..#..', '#####', '..#..', '..#..', '.....'],
  '#': ['.#.#.', '.#.#.', '#####', '.#.#.', '#####', '.#.#.', '.#.#.'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
};

/** An RGB image being drawn on. */
class Canvas {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 3);
    this.fill(0, 0, width, height, BACKGROUND);
  }

  fill(x: number, y: number, w: number, h: number, colour: Rgb): void {
    for (let r = Math.max(0, y); r < Math.min(this.height, y + h); r++) {
      for (let c = Math.max(0, x); c < Math.min(this.width, x + w); c++) this.data.set(colour, (r * this.width + c) * 3);
    }
  }

  /** Copies an `[h,w,3]` 0–255 tile, each pixel as a `scale`×`scale` block. */
  blit(x: number, y: number, tile: ArrayLike<number>, h: number, w: number, scale: number): void {
    for (let r = 0; r < h * scale; r++) {
      for (let c = 0; c < w * scale; c++) {
        const src = (Math.floor(r / scale) * w + Math.floor(c / scale)) * 3;
        const dst = ((y + r) * this.width + x + c) * 3;
        for (let k = 0; k < 3; k++) this.data[dst + k] = tile[src + k];
      }
    }
  }

  /** Draws `text` (upper-cased) with its top-left corner at (x, y); returns the width drawn. */
  text(x: number, y: number, text: string, scale: number, colour: Rgb): number {
    let pen = x;
    for (const ch of text.toUpperCase()) {
      const glyph = FONT[ch] ?? FONT['#'];
      glyph.forEach((row, r) => {
        for (let c = 0; c < 5; c++) if (row[c] === '#') this.fill(pen + c * scale, y + r * scale, scale, scale, colour);
      });
      pen += 6 * scale;
    }
    return pen - x - scale;
  }
}

/** Width in pixels of `text` at `scale`. */
const textWidth = (text: string, scale: number): number => text.length * 6 * scale - scale;

/** `[N,H,W,3]` in [0,1] → N arrays of 0–255 bytes. */
async function toBytes(images: tf.Tensor4D): Promise<Uint8Array[]> {
  const bytes = tf.tidy(() => tf.cast(tf.clipByValue(tf.round(tf.mul(images, 255)), 0, 255), 'int32'));
  const flat = Uint8Array.from(await bytes.data());
  bytes.dispose();
  const size = images.shape[1] * images.shape[2] * 3;
  return Array.from({ length: images.shape[0] }, (_, i) => flat.subarray(i * size, (i + 1) * size));
}

function options(): { seed: number; count: number; out: string; method: CamMethodName } {
  const { values } = parseArgs({
    options: { seed: { type: 'string' }, count: { type: 'string' }, out: { type: 'string' }, method: { type: 'string' } },
    strict: true,
  });
  const seed = values.seed === undefined ? Math.floor(Math.random() * 1e9) : Number(values.seed);
  const count = Number(values.count ?? 6);
  const method = (values.method ?? 'gradcam') as CamMethodName;
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  if (!Number.isInteger(count) || count < 1 || count > 50) throw new Error(`--count must be an integer from 1 to 50, got ${values.count}`);
  if (!CAM_METHODS.includes(method)) throw new Error(`--method must be one of ${CAM_METHODS.join(', ')}`);
  return { seed, count, out: values.out ?? 'out', method };
}

async function main(): Promise<void> {
  const { seed, count, out, method } = options();
  tf.env().set('PROD', true);
  if (!(await tf.setBackend('wasm').catch(() => false))) await tf.setBackend('cpu');

  const model = await loadDemoModel();
  const gc = new GradCam(model);
  const { images, labels } = generateScenes(count, seed);
  const probabilities = tf.tidy(() => model.predict(images) as tf.Tensor2D);
  const probs = (await probabilities.array()) as number[][];
  const result = gc.explain(images, { method });
  const tensors = tf.tidy(() => {
    const overlays = blend(images, result.heatmap, { alpha: 0.45 }) as tf.Tensor4D;
    return {
      overlays,
      heatmaps: applyColormap(result.heatmap) as tf.Tensor4D,
      big: tf.image.resizeNearestNeighbor(overlays, [TILE, TILE]),
    };
  });

  const written: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(out, `demo-${i}-overlay.png`);
    const one = tf.slice(tensors.big, [i], [1]);
    await writeImage(file, one);
    one.dispose();
    written.push(file);
  }

  // The contact sheet: a header, then one row per scene.
  const columns = ['scene', 'heatmap', 'overlay', 'top 3'];
  const width = MARGIN * 2 + TILE * 3 + PANEL + GAP * 3;
  const height = MARGIN * 2 + HEADER + count * TILE + (count - 1) * GAP;
  const sheet = new Canvas(width, height);
  const columnX = [0, 1, 2, 3].map((c) => MARGIN + c * (TILE + GAP));
  columns.forEach((title, c) => sheet.text(columnX[c], MARGIN + 6, title, 3, INK));
  const [scenes, heatmaps, overlays] = await Promise.all([toBytes(images), toBytes(tensors.heatmaps), toBytes(tensors.overlays)]);
  let correct = 0;
  for (let i = 0; i < count; i++) {
    const y = MARGIN + HEADER + i * (TILE + GAP);
    [scenes[i], heatmaps[i], overlays[i]].forEach((tile, c) => sheet.blit(columnX[c], y, tile, DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE, SCALE));
    correct += drawPanel(sheet, columnX[3], y, labels[i], probs[i], result.classIndex[i], method) ? 1 : 0;
  }
  const sheetFile = path.join(out, 'demo-contact-sheet.png');
  const canvas = tf.tensor3d(sheet.data, [height, width, 3], 'int32');
  await writeImage(sheetFile, canvas);
  canvas.dispose();

  tf.dispose([images, probabilities, tensors.overlays, tensors.heatmaps, tensors.big]);
  result.dispose();
  gc.dispose();
  model.dispose();

  console.log(`Explained ${count} fresh scenes (seed ${seed}, ${method}, ${tf.getBackend()} backend): ${correct} of ${count} classified right.`);
  console.log(`Wrote ${written.length} overlays: ${path.join(out, 'demo-<i>-overlay.png')} (i = 0…${count - 1})`);
  console.log(`Contact sheet: ${sheetFile}`);
  console.log(`Again with the same scenes: npm run demo -- --seed ${seed}`);
}

/** The label panel: the true class, then the top 3 with bars; returns whether the top class is right. */
function drawPanel(sheet: Canvas, x: number, y: number, label: number, probs: readonly number[], explained: number, method: string): boolean {
  const top = probs.map((p, c) => ({ p, c })).sort((a, b) => b.p - a.p).slice(0, 3);
  const right = top[0].c === label;
  sheet.text(x, y + 8, 'true:', 2, MUTED);
  sheet.text(x + textWidth('true: ', 2), y + 8, DEMO_CLASSES[label], 2, INK);
  sheet.text(x + PANEL - textWidth(right ? 'ok' : 'wrong', 2), y + 8, right ? 'ok' : 'wrong', 2, right ? RIGHT : WRONG);
  top.forEach(({ p, c }, rank) => {
    const rowY = y + 48 + rank * 62;
    const name = `${rank + 1}. ${DEMO_CLASSES[c]}`;
    const percent = `${(p * 100).toFixed(1)}%`;
    sheet.text(x, rowY, name, 3, c === explained ? INK : MUTED);
    sheet.text(x + PANEL - textWidth(percent, 2), rowY + 7, percent, 2, INK);
    sheet.fill(x, rowY + 28, PANEL, 12, BAR_BACK);
    sheet.fill(x, rowY + 28, Math.round(PANEL * p), 12, c === label ? RIGHT : BAR_OTHER); // green: the true class
  });
  sheet.text(x, y + TILE - 16, `${method} of no. ${top.findIndex((t) => t.c === explained) + 1}`, 2, MUTED);
  return right;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
