/**
 * Localization evaluation of the demo model: on freshly generated scenes, the classification
 * accuracy, the pointing game and weakly-supervised localization (Grad-CAM paper protocol) for
 * Grad-CAM and CAM, written as a table into docs/evaluation.md (between its eval:begin/end
 * markers; the rest of the page is written by hand).
 *
 *   npm run eval [-- --n=500 --seed=2000000000 --batch=50 --backend=wasm --model=DIR --no-write --metrics-n=50]
 *
 * --model evaluates model.json + weights.bin from DIR instead of the shipped model.
 * Then the faithfulness metrics of every method on --metrics-n scenes (0: skip) go into
 * docs/metrics.md (scripts/eval-metrics.ts).
 * Exits with status 1 when Grad-CAM misses a floor (pointing game 90 %, localization 70 %).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { type LayersModel, loadLayersModel, version_layers } from '@tensorflow/tfjs-layers';
import { type CamMethodName, GradCam } from '../src';
import { evaluateMetrics } from './eval-metrics';
import { type Box, DEMO_CLASSES, DEMO_IMAGE_SIZE, generateScenes, iou, loadDemoModel, localizationBox, pointingHit } from '../src/demo';

const FLOORS = { pointing: 0.9, localization: 0.7 } as const;
const DOC = fileURLToPath(new URL('../docs/evaluation.md', import.meta.url));
const MODEL_DIR = fileURLToPath(new URL('../demo-model/', import.meta.url));
const SIZE = DEMO_IMAGE_SIZE;

interface Options {
  n: number;
  seed: number;
  batch: number;
  backend: 'wasm' | 'cpu';
  write: boolean;
  /** A directory with model.json + weights.bin to evaluate instead of the shipped model. */
  model?: string;
  /** Scenes for the faithfulness table (0: skip it). */
  metricsN: number;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { n: 500, seed: 2_000_000_000, batch: 50, backend: 'wasm', write: true, metricsN: 50 };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key === 'no-write') options.write = false;
    else if (key === 'model') options.model = value;
    else if (key === 'metrics-n' && Number.isSafeInteger(Number(value)) && Number(value) >= 0) options.metricsN = Number(value);
    else if (key === 'backend' && (value === 'wasm' || value === 'cpu')) options.backend = value;
    else if (key === 'n' || key === 'seed' || key === 'batch') {
      const v = Number(value);
      if (!Number.isSafeInteger(v) || v < (key === 'seed' ? 0 : 1)) throw new Error(`--${key} needs an integer, got ${value}`);
      options[key] = v;
    } else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** Counts for one way of making heatmaps. */
interface Tally {
  pointing: number;
  localized: number;
  iouSum: number;
  seconds: number;
}

const emptyTally = (): Tally => ({ pointing: 0, localized: 0, iouSum: 0, seconds: 0 });

/** Counts for one group of scenes (a class or a size band) in the breakdown of Grad-CAM. */
interface GroupTally {
  n: number;
  pointing: number;
  localized: number;
  /** Found box area / true box area, one entry per scene with a box. */
  areaRatios: number[];
}

/** Size bands of the target's side, in pixels, for the breakdown. */
const SIZE_BANDS: ReadonlyArray<readonly [number, number]> = [
  [10, 14],
  [15, 19],
  [20, 25],
];

/** A size band's row label, also its key in the breakdown's groups. */
const bandLabel = ([lo, hi]: readonly [number, number]): string => `${lo}–${hi} px`;

const area = (b: Box): number => (b.bottom - b.top) * (b.right - b.left);

/**
 * Scores one batch of `[n,64,64]` heatmaps against the boxes; with `groups`, also per class and
 * per size band.
 */
function score(tally: Tally, maps: Float32Array, boxes: readonly Box[], labels?: readonly number[], groups?: Map<string, GroupTally>): void {
  for (const [i, box] of boxes.entries()) {
    const map = maps.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE);
    const hit = pointingHit(map, SIZE, box);
    if (hit) tally.pointing++;
    const found = localizationBox(map, SIZE, 0.15);
    const overlap = found === null ? 0 : iou(found, box);
    tally.iouSum += overlap;
    if (overlap >= 0.5) tally.localized++;
    if (groups === undefined || labels === undefined) continue;
    const side = box.bottom - box.top;
    const band = SIZE_BANDS.find(([lo, hi]) => side >= lo && side <= hi) ?? SIZE_BANDS[SIZE_BANDS.length - 1];
    for (const key of [DEMO_CLASSES[labels[i]], bandLabel(band)]) {
      const group = groups.get(key) ?? { n: 0, pointing: 0, localized: 0, areaRatios: [] };
      group.n++;
      if (hit) group.pointing++;
      if (overlap >= 0.5) group.localized++;
      if (found !== null) group.areaRatios.push(area(found) / area(box));
      groups.set(key, group);
    }
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)];
};

/**
 * A baseline that ignores the image: a Gaussian bump at the image centre (σ = a quarter of the
 * side). Shows how much of each score a centre prior alone gets.
 */
function centrePrior(): Float32Array {
  const map = new Float32Array(SIZE * SIZE);
  const sigma = SIZE / 4;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const [dx, dy] = [x + 0.5 - SIZE / 2, y + 0.5 - SIZE / 2];
      map[y * SIZE + x] = Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
    }
  }
  return map;
}

const RUNS: ReadonlyArray<{ key: string; method: CamMethodName; classes: 'predicted' | 'true' }> = [
  { key: 'gradcam/predicted', method: 'gradcam', classes: 'predicted' },
  { key: 'cam/predicted', method: 'cam', classes: 'predicted' },
  { key: 'gradcam/true', method: 'gradcam', classes: 'true' },
  { key: 'cam/true', method: 'cam', classes: 'true' },
];

/** A one-line summary of the layers, e.g. `conv 8 (BN) → pool → … → features 32 [32×32] → GAP → Dense 5`. */
function describe(model: LayersModel): string {
  const parts: string[] = [];
  for (const layer of model.layers) {
    const config = layer.getConfig();
    const name = layer.getClassName();
    if (name === 'Conv2D') {
      const [, h, w] = layer.outputShape as number[];
      parts.push(layer.name === 'features' ? `\`features\` conv ${String(config.filters)} [${h}×${w}]` : `conv ${String(config.filters)}`);
    } else if (name === 'BatchNormalization') parts[parts.length - 1] += ' (BN)';
    else if (name === 'MaxPooling2D') parts.push('max-pool');
    else if (name === 'GlobalAveragePooling2D') parts.push('GAP');
    else if (name === 'Dense') parts.push(`Dense ${String(config.units)} (${String(config.activation)})`);
  }
  return parts.join(' → ');
}

const BEGIN = '<!-- eval:begin -->';
const END = '<!-- eval:end -->';

/** Replaces the generated block of docs/evaluation.md, between its two markers. */
function replaceBlock(doc: string, block: string): string {
  const [begin, end] = [doc.indexOf(BEGIN), doc.indexOf(END)];
  if (begin < 0 || end < begin) throw new Error(`${DOC} lacks the ${BEGIN} … ${END} markers`);
  const note = '<!-- Written by scripts/eval.ts: rerun the command below to update it. -->';
  return `${doc.slice(0, begin + BEGIN.length)}\n${note}\n\n${block}\n${doc.slice(end)}`;
}

/** Loads model.json + weights.bin from a directory (the layout the trainer writes). */
async function loadFromDirectory(dir: string): Promise<LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const weights = readFileSync(join(dir, 'weights.bin'));
  return loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  tf.env().set('PROD', true);
  await tf.setBackend(options.backend);
  const model = options.model === undefined ? await loadDemoModel() : await loadFromDirectory(options.model);
  const gradcam = new GradCam(model);
  const tallies = new Map(RUNS.map((r) => [r.key, emptyTally()]));
  const prior = emptyTally();
  const groups = new Map<string, GroupTally>();
  const priorMap = centrePrior();
  let correct = 0;
  const started = performance.now();

  for (let start = 0; start < options.n; start += options.batch) {
    const count = Math.min(options.batch, options.n - start);
    const { images, labels, boxes } = generateScenes(count, options.seed + start);
    const predicted = tf.tidy(() => tf.argMax(model.predict(images) as tf.Tensor2D, 1));
    const classes = Array.from(await predicted.data());
    predicted.dispose();
    correct += labels.filter((label, i) => classes[i] === label).length;
    for (const run of RUNS) {
      const t0 = performance.now();
      const result = gradcam.explain(images, { method: run.method, classIndex: run.classes === 'true' ? labels : undefined });
      const maps = (await result.heatmap.data()) as Float32Array;
      result.dispose();
      const tally = tallies.get(run.key) as Tally;
      tally.seconds += (performance.now() - t0) / 1000;
      if (run.classes === 'predicted' && result.classIndex.some((c, i) => c !== classes[i])) {
        throw new Error('the explained classes differ from model.predict');
      }
      if (run.key === 'gradcam/predicted') score(tally, maps, boxes, labels, groups);
      else score(tally, maps, boxes);
    }
    const tiled = new Float32Array(count * SIZE * SIZE);
    for (let i = 0; i < count; i++) tiled.set(priorMap, i * SIZE * SIZE);
    score(prior, tiled, boxes);
    images.dispose();
    console.log(`${start + count}/${options.n} scenes, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  if (options.metricsN > 0) {
    const command = `npm run eval -- --metrics-n=${options.metricsN}${options.backend === 'wasm' ? '' : ` --backend=${options.backend}`}`;
    await evaluateMetrics(model, { n: options.metricsN, seed: 2_100_000_000, backend: options.backend, write: options.write }, command);
  }
  const architecture = describe(model);
  const parameters = model.countParams();
  gradcam.dispose();
  model.dispose();

  const n = options.n;
  const pct = (k: number): string => `${((100 * k) / n).toFixed(1)} %`;
  const accuracy = correct / n;
  const row = (name: string, t: Tally, ms: boolean): string =>
    `| ${name} | ${pct(t.pointing)} | ${pct(t.localized)} | ${(t.iouSum / n).toFixed(3)} | ${ms ? ((1000 * t.seconds) / n).toFixed(1) : '—'} |`;
  const gc = tallies.get('gradcam/predicted') as Tally;
  const floorsMet = gc.pointing / n >= FLOORS.pointing && gc.localized / n >= FLOORS.localization;
  const command = `npm run eval -- ${process.argv.slice(2).join(' ')}`.trim();
  const modelJson = JSON.parse(readFileSync(join(options.model ?? MODEL_DIR, 'model.json'), 'utf8')) as { userDefinedMetadata?: Record<string, unknown> };
  const metadata = modelJson.userDefinedMetadata ?? {};
  const table = [
    `Classification accuracy: **${(100 * accuracy).toFixed(1)} %** (${correct} / ${n}).`,
    '',
    '| heatmaps | pointing game | localization (IoU ≥ 0.5) | mean IoU | ms / image |',
    '|---|---:|---:|---:|---:|',
    row('**Grad-CAM**, predicted class', gc, true),
    row('CAM, predicted class', tallies.get('cam/predicted') as Tally, true),
    row('Grad-CAM, true class', tallies.get('gradcam/true') as Tally, true),
    row('CAM, true class', tallies.get('cam/true') as Tally, true),
    row('centre prior (no model)', prior, false),
  ];
  const groupPct = (k: number, g: GroupTally): string => `${((100 * k) / g.n).toFixed(0)} %`;
  const breakdown = [
    'Grad-CAM on the predicted class, by the target\'s class and size:',
    '',
    '| scenes | n | pointing game | localization | found box / true box (median area) |',
    '|---|---:|---:|---:|---:|',
    ...[...DEMO_CLASSES, ...SIZE_BANDS.map(bandLabel)].flatMap((key) => {
      const g = groups.get(key);
      return g === undefined ? [] : [`| ${key} | ${g.n} | ${groupPct(g.pointing, g)} | ${groupPct(g.localized, g)} | ${median(g.areaRatios).toFixed(2)} |`];
    }),
  ];
  console.log(['', ...table, '', ...breakdown, '', `floors (Grad-CAM, predicted class): ${floorsMet ? 'met' : 'NOT met'}`].join('\n'));

  if (options.write) {
    const cpu = cpus();
    const block = [
      `Command: \`${command}\` — ${n} fresh scenes from seed ${options.seed}, explained in batches of`,
      `${options.batch} on the ${options.backend} backend.`,
      `Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB,`,
      `Node ${process.version}, tfjs ${tf.version_core} (layers ${version_layers}); ${new Date().toISOString().slice(0, 10)}.`,
      '',
      ...table,
      '',
      `Floors for Grad-CAM on the predicted class: pointing game ≥ ${100 * FLOORS.pointing} %,`,
      `localization ≥ ${100 * FLOORS.localization} % — ${floorsMet ? 'met' : '**not met**'}.`,
      '',
      ...breakdown,
      '',
      `The model: ${architecture}, ${parameters} parameters. Trained with`,
      `\`${String(metadata.trainedWith ?? 'npm run train-demo-model')}\` on the ${String(metadata.backend ?? 'wasm')} backend in`,
      `${String(metadata.trainingSeconds ?? '?')} s; held-out accuracy ${String(metadata.heldOutAccuracy ?? '?')} on ${String(metadata.heldOutScenes ?? '?')}.`,
    ];
    writeFileSync(DOC, replaceBlock(readFileSync(DOC, 'utf8'), block.join('\n')));
    console.log(`updated ${DOC}`);
  }
  if (!floorsMet) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
