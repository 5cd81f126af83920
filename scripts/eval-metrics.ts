/**
 * Faithfulness of every CAM method on the demo model: each method's maps of the predicted class
 * on fresh scenes, scored with tfjs-gradcam/metrics, written as a table into docs/metrics.md
 * (between its metrics:begin/end markers). Run by `npm run eval` after the localization table
 * (`--metrics-n=0` skips it), or alone:
 *
 *   npx tsx scripts/eval-metrics.ts [--n=50 --seed=2100000000 --backend=wasm --no-write]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { CAM_METHODS, GradCam } from '../src';
import { generateScenes } from '../src/demo';
import { averageDrop, averageIncrease, deletion, insertion, road } from '../src/metrics';

const DOC = fileURLToPath(new URL('../docs/metrics.md', import.meta.url));
const BEGIN = '<!-- metrics:begin -->';
const END = '<!-- metrics:end -->';

export interface MetricsEvalOptions {
  n: number;
  seed: number;
  backend: string;
  write: boolean;
}

interface Row {
  name: string;
  drop: number;
  increase: number;
  morf: number;
  lerf: number;
  combined: number;
  deletion: number;
  insertion: number;
  n: number;
}

const BATCH = 25;
const PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90];

/** The maps a row is made from: a CAM method's, or a seeded random one (the floor any method should beat). */
type Maps = (gc: GradCam, images: tf.Tensor4D, classes: number[], seed: number) => tf.Tensor3D;

async function scoreMaps(model: LayersModel, gc: GradCam, name: string, maps: Maps, options: MetricsEvalOptions): Promise<Row> {
  const sum: Row = { name, drop: 0, increase: 0, morf: 0, lerf: 0, combined: 0, deletion: 0, insertion: 0, n: 0 };
  const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  for (let start = 0; start < options.n; start += BATCH) {
    const count = Math.min(BATCH, options.n - start);
    const { images } = generateScenes(count, options.seed + start);
    const predicted = tf.tidy(() => tf.argMax(model.predict(images) as tf.Tensor2D, 1));
    const classIndex = Array.from(await predicted.data());
    predicted.dispose();
    const heatmaps = maps(gc, images, classIndex, options.seed + start);
    const o = { classIndex, seed: options.seed + start, batchSize: 64 };
    sum.drop += count * (await averageDrop(model, images, heatmaps, o));
    sum.increase += count * (await averageIncrease(model, images, heatmaps, o));
    const morf = await road(model, images, heatmaps, { ...o, percentiles: PERCENTILES, order: 'most-relevant-first' });
    const lerf = await road(model, images, heatmaps, { ...o, percentiles: PERCENTILES, order: 'least-relevant-first' });
    sum.morf += total(morf);
    sum.lerf += total(lerf);
    // roadCombined's definition, from the same two runs (it would impute everything again).
    sum.combined += total(lerf.map((l, i) => (l - morf[i]) / 2));
    sum.deletion += total(await deletion(model, images, heatmaps, o));
    sum.insertion += total(await insertion(model, images, heatmaps, o));
    sum.n += count;
    tf.dispose([images, heatmaps]);
  }
  const n = sum.n;
  return { ...sum, drop: sum.drop / n, increase: sum.increase / n, morf: sum.morf / n, lerf: sum.lerf / n, combined: sum.combined / n, deletion: sum.deletion / n, insertion: sum.insertion / n };
}

/** Scores every CAM method and a random map; returns the markdown table (and writes it into docs/metrics.md). */
export async function evaluateMetrics(model: LayersModel, options: MetricsEvalOptions, command: string): Promise<string> {
  const gc = new GradCam(model);
  const rows: Row[] = [];
  const started = performance.now();
  try {
    for (const method of CAM_METHODS) {
      rows.push(
        await scoreMaps(model, gc, method, (g, images, classIndex) => {
          const r = g.explain(images, { method, classIndex });
          const heatmap = tf.clone(r.heatmap);
          r.dispose();
          return heatmap;
        }, options),
      );
      console.log(`metrics: ${method} done, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
    rows.push(await scoreMaps(model, gc, 'random map (floor)', (_g, images, _c, seed) => tf.randomUniform(images.shape.slice(0, 3) as [number, number, number], 0, 1, 'float32', seed) as tf.Tensor3D, options));
  } finally {
    gc.dispose();
  }
  const best = (key: keyof Row, low: boolean): number => {
    const values = rows.slice(0, -1).map((r) => r[key] as number);
    return low ? Math.min(...values) : Math.max(...values);
  };
  const cell = (r: Row, key: keyof Row, low: boolean, digits = 3): string => {
    const v = (r[key] as number).toFixed(digits);
    return r.name !== 'random map (floor)' && (r[key] as number) === best(key, low) ? `**${v}**` : v;
  };
  const table = [
    '| maps | Average Drop ↓ | Average Increase ↑ | ROAD MoRF ↓ | ROAD LeRF ↑ | ROAD combined ↑ | Deletion ↓ | Insertion ↑ |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${cell(r, 'drop', true)} | ${cell(r, 'increase', false)} | ${cell(r, 'morf', true)} | ${cell(r, 'lerf', false)} | ` +
        `${cell(r, 'combined', false)} | ${cell(r, 'deletion', true)} | ${cell(r, 'insertion', false)} |`,
    ),
  ];
  const block = [
    `Command: \`${command}\` — ${options.n} fresh scenes from seed ${options.seed}, the predicted class, the ${options.backend}`,
    `backend; class probabilities; ROAD over the percentiles 10…90 with noise 0.01 (seeded); Deletion/Insertion in`,
    `10 steps to a black (0) baseline. Bold: the best method in the column. ${new Date().toISOString().slice(0, 10)}.`,
    '',
    ...table,
  ].join('\n');
  console.log(`\n${table.join('\n')}`);
  if (options.write) {
    const doc = readFileSync(DOC, 'utf8');
    const [begin, end] = [doc.indexOf(BEGIN), doc.indexOf(END)];
    if (begin < 0 || end < begin) throw new Error(`${DOC} lacks the ${BEGIN} … ${END} markers`);
    const note = '<!-- Written by scripts/eval-metrics.ts: rerun the command below to update it. -->';
    writeFileSync(DOC, `${doc.slice(0, begin + BEGIN.length)}\n${note}\n\n${block}\n${doc.slice(end)}`);
    console.log(`updated ${DOC}`);
  }
  return block;
}

async function main(): Promise<void> {
  const options: MetricsEvalOptions = { n: 50, seed: 2_100_000_000, backend: 'wasm', write: true };
  for (const arg of process.argv.slice(2)) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key === 'no-write') options.write = false;
    else if (key === 'backend' && (value === 'wasm' || value === 'cpu')) options.backend = value;
    else if ((key === 'n' || key === 'seed') && Number.isSafeInteger(Number(value))) options[key] = Number(value);
    else throw new Error(`unknown option ${arg}`);
  }
  await import('@tensorflow/tfjs-backend-cpu');
  await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('PROD', true);
  await tf.setBackend(options.backend);
  const { loadDemoModel } = await import('../src/demo');
  const model = await loadDemoModel();
  await evaluateMetrics(model, options, `npx tsx scripts/eval-metrics.ts ${process.argv.slice(2).join(' ')}`.trim());
  model.dispose();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
