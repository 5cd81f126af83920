/**
 * `npm run bench`: Grad-CAM's cost next to one forward pass, measured side by side.
 *
 * For each backend and network, the operations below run interleaved (round-robin) after a
 * warm-up, and each row reports the median of the rounds. Options:
 *   --backends=wasm,cpu   which backends (default both; cpu runs only MobileNetV2-sized work
 *                         and fewer rounds, since VGG16 takes ~25 s a forward pass there)
 *   --rounds=N            rounds on wasm (default 7; cpu uses 3)
 *   --leak-calls=N        explain calls for the leak check (default 200; at most 20 on cpu)
 *   --networks=A,B        which networks (default all: VGG16,MobileNetV2,ResNet50-shaped)
 *   --quick               rounds=3, leak-calls=20: a smoke run
 *   --pool-images=N       images for the worker-pool rows (default 32; 0: none; needs `npm run build`)
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import * as os from 'node:os';
import { GradCam, blend, camToHeatmap, gradientsForClass, poolWeights, splitModel, weightedActivationMap } from '../src';
import { twoSubModelGradCam } from './baseline';
import { mobileNetV2, resNet50Shaped, vgg16 } from './models';
import { cliSplit, poolFixture, timePool } from './pool';
import { roadCost } from './road';

tf.env().set('PROD', true);

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'] as const;
  }),
);
const quick = args.has('quick');
const backends = (args.get('backends') ?? 'wasm,cpu').split(',');
const wasmRounds = Number(args.get('rounds') ?? (quick ? 3 : 7));
const leakCalls = Number(args.get('leak-calls') ?? (quick ? 20 : 200));
const networks = args.get('networks')?.split(',');
const poolImages = Number(args.get('pool-images') ?? (quick ? 4 : 32));

interface Network {
  name: string;
  build: () => tfl.LayersModel;
  layer: string;
  /** Backends it is measured on (VGG16 on cpu would take hours). */
  backends: string[];
  /** Also time Faster-ScoreCAM (`maxChannels`) against plain ScoreCAM. */
  fasterScoreCam?: number;
}
const NETWORKS: Network[] = [
  { name: 'VGG16', build: vgg16, layer: 'block5_conv3', backends: ['wasm'] },
  { name: 'MobileNetV2', build: mobileNetV2, layer: 'Conv_1_relu', backends: ['wasm', 'cpu'] },
  { name: 'ResNet50-shaped', build: resNet50Shaped, layer: 'conv5_block3_out', backends: ['wasm'], fasterScoreCam: 64 },
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** Times `fn` once, forcing the backend to finish (cpu and wasm run synchronously anyway). */
function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Runs every op once per round, round-robin, after one warm-up round; returns median ms per op. */
function interleaved(ops: Record<string, () => void>, rounds: number): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (const fn of Object.values(ops)) fn(); // warm-up
  for (let r = 0; r < rounds; r++) for (const [k, fn] of Object.entries(ops)) samples[k].push(time(fn));
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

/** Time per 100 channels of a perturbation method: run it until 100 channels are scored, then stop it. */
function perHundredChannels(gc: GradCam, x: tf.Tensor4D, method: 'scorecam' | 'ablationcam', channels: number, measured: number): number {
  class Enough extends Error {}
  const target = Math.min(measured, channels);
  let done = 0;
  const elapsed = time(() => {
    try {
      gc.explain(x, {
        method,
        classIndex: 0,
        batchSize: 25,
        onProgress: (p) => {
          done = p.done;
          if (p.done >= target) throw new Enough();
        },
      }).dispose();
    } catch (e) {
      if (!(e instanceof Enough)) throw e;
    }
  });
  return (elapsed / done) * 100;
}

/** Where the time of one explain goes, with the library's own steps timed one by one. */
function profile(model: tfl.LayersModel, layer: string, x: tf.Tensor4D, rounds: number) {
  const split = splitModel(model, layer, { cacheTransposedKernels: true });
  const parts = { body: [] as number[], head: [] as number[], post: [] as number[] };
  for (let r = 0; r <= rounds; r++) {
    let pass!: ReturnType<typeof split.forward>;
    let grads!: ReturnType<typeof gradientsForClass>;
    const body = time(() => {
      pass = split.forward(x);
      pass.activations.dataSync();
    });
    const head = time(() => {
      grads = gradientsForClass(pass.head, pass.activations);
      grads.gradients.dataSync();
    });
    const post = time(() => {
      const heatmap = tf.tidy(() =>
        camToHeatmap(weightedActivationMap(pass.activations, poolWeights(grads.gradients)), [x.shape[1], x.shape[2]]),
      );
      heatmap.dataSync();
      heatmap.dispose();
    });
    tf.dispose([grads.gradients, grads.scores, grads.classIndex]);
    pass.dispose();
    if (r > 0) {
      parts.body.push(body);
      parts.head.push(head);
      parts.post.push(post);
    }
  }
  return { body: median(parts.body), head: median(parts.head), post: median(parts.post) };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const say = (line = ''): void => {
    console.log(line);
    lines.push(line);
  };
  say(`# tfjs-gradcam benchmark`);
  say();
  say(`- machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}`);
  say(`- tfjs ${tf.version_core}; command: \`npm run bench${process.argv.slice(2).length ? ' -- ' + process.argv.slice(2).join(' ') : ''}\``);
  say(`- medians of ${wasmRounds} interleaved rounds on wasm (3 on cpu), after a warm-up; times in ms`);
  say();
  for (const backend of backends) {
    await tf.setBackend(backend);
    await tf.ready();
    const rounds = backend === 'cpu' ? Math.min(3, wasmRounds) : wasmRounds;
    for (const net of NETWORKS.filter((n) => n.backends.includes(backend) && (networks?.includes(n.name) ?? true))) {
      const model = net.build();
      const camera = new GradCam(model, { layerName: net.layer });
      const baseline = twoSubModelGradCam(model, net.layer);
      const x1 = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const x8 = tf.randomUniform([8, 224, 224, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const image = tf.squeeze(x1, [0]) as tf.Tensor3D;
      const heatmap = tf.randomUniform([224, 224], 0, 1, 'float32', 3) as tf.Tensor2D;
      const channels = model.getLayer(net.layer.split('/').pop() as string).outputShape[3] as number;

      const t = interleaved(
        {
          predict: () => tf.dispose(model.predict(x1) as tf.Tensor),
          explain: () => camera.explain(x1).dispose(),
          baseline: () => baseline(x1, 0).dispose(),
          top5: () => camera.explainTopK(x1, 5).forEach((r) => r.dispose()),
          batch8: () => camera.explain(x8).dispose(),
          blend: () => blend(image, heatmap).dispose(),
        },
        rounds,
      );
      const perImage8 = t.batch8 / 8;
      say(`## ${net.name} on ${backend} (target ${net.layer}, ${channels} channels)`);
      say();
      say('| operation | median ms | ratio | floor |');
      say('|---|---:|---:|---|');
      say(`| 1. model.predict, 1 image | ${ms(t.predict)} | | |`);
      say(`| 2. GradCam.explain, 1 image | ${ms(t.explain)} | 2/1 = ${(t.explain / t.predict).toFixed(3)} | ≤ 1.10 |`);
      say(`| 3. two-sub-model baseline, 1 image | ${ms(t.baseline)} | 3/2 = ${(t.baseline / t.explain).toFixed(3)} | ≥ 1.0 |`);
      say(`| 4. explainTopK(5), 1 image | ${ms(t.top5)} | 4/2 = ${(t.top5 / t.explain).toFixed(3)} | ≤ 1.3 |`);
      say(`| 5. explain, batch of 8, per image | ${ms(perImage8)} | 5/2 = ${(perImage8 / t.explain).toFixed(3)} | ≤ 1.0 |`);
      say(`| 6. colormap + blend, 224×224 | ${ms(t.blend)} | 6/2 = ${((100 * t.blend) / t.explain).toFixed(2)}% | ≤ 5% |`);
      // Row 8 times ScoreCAM on the network made for it.
      for (const method of net.fasterScoreCam === undefined ? (['scorecam', 'ablationcam'] as const) : []) {
        // On cpu a forward pass takes seconds: time 25 channels and scale.
        const measured = backend === 'cpu' ? 25 : 100;
        const note = measured === 100 ? '' : ` (timed over ${measured})`;
        say(`| 7. ${method}, per 100 channels${note} | ${ms(perHundredChannels(camera, x1, method, channels, measured))} | | |`);
      }
      if (net.fasterScoreCam !== undefined) {
        // Side by side: the whole Faster-ScoreCAM explain, and plain ScoreCAM at the same rate per
        // channel over all C channels (timed over 2·maxChannels channels, as the full run takes minutes).
        const k = net.fasterScoreCam;
        const faster = time(() => camera.explain(x1, { method: 'scorecam', classIndex: 0, maxChannels: k, batchSize: 25 }).dispose());
        const full = (perHundredChannels(camera, x1, 'scorecam', channels, 2 * k) / 100) * channels;
        say(`| 8. scorecam, maxChannels ${k} (whole explain) vs all ${channels} channels (scaled from ${2 * k}) | ${ms(faster)} vs ${ms(full)} | ${(full / faster).toFixed(1)}× faster | |`);
      }
      if (net.name === 'MobileNetV2' && backend === 'wasm') {
        const road = await roadCost(model, x1, quick ? 1 : 3);
        say(`| 9. metrics roadCombined (9 percentiles × 2 orders), 1 image | ${ms(road.total)} | 9/1 = ${(road.total / t.predict).toFixed(1)} | |`);
        say(`| 10. of which the 18 imputations | ${ms(road.imputation)} | 10/9 = ${((100 * road.imputation) / road.total).toFixed(0)}% | |`);
      }
      say();

      const p = profile(model, net.layer, x1, rounds);
      const total = p.body + p.head + p.post;
      const pct = (v: number): string => `${((100 * v) / total).toFixed(1)}%`;
      say(`Profile of one explain (library steps timed separately): body forward ${ms(p.body)} ms (${pct(p.body)}), ` +
        `head forward + backward ${ms(p.head)} ms (${pct(p.head)}), post-processing ${ms(p.post)} ms (${pct(p.post)}).`);
      say();

      gc();
      const tensorsBefore = tf.memory().numTensors;
      const heapBefore = process.memoryUsage().heapUsed;
      const calls = backend === 'cpu' ? Math.min(leakCalls, 20) : leakCalls; // cpu: seconds per call
      for (let i = 0; i < calls; i++) camera.explain(x1).dispose();
      gc();
      const tensorsAfter = tf.memory().numTensors;
      const heapAfter = process.memoryUsage().heapUsed;
      say(`Leak check, ${calls} explain calls: tensors ${tensorsBefore} → ${tensorsAfter}; ` +
        `JS heap ${(heapBefore / 2 ** 20).toFixed(1)} → ${(heapAfter / 2 ** 20).toFixed(1)} MiB.`);
      say();
      if (backend === 'wasm' && poolImages > 0 && net.name !== 'ResNet50-shaped') await poolRows(model, say);
      tf.dispose([x1, x8, image, heatmap]);
      camera.dispose();
      model.dispose();
    }
  }
  const out = args.get('out');
  if (out !== undefined) (await import('node:fs')).writeFileSync(out, lines.join('\n') + '\n');
}

/**
 * The command's per-image split (read, explain, write) and the worker pool's throughput with 1
 * and 2 workers, each run in the same sitting: the whole run (workers' start included) and
 * after every worker's first image.
 */
async function poolRows(model: tfl.LayersModel, say: (line?: string) => void): Promise<void> {
  const fixture = await poolFixture(model, poolImages);
  const split = await cliSplit(model, fixture.images[0], quick ? 1 : 3);
  const total = split.read + split.explain + split.write;
  say(`One image through the command (--jobs 1): read ${ms(split.read)} ms, explain ${ms(split.explain)} ms, ` +
    `write the two PNGs ${ms(split.write)} ms (explain ${((100 * split.explain) / total).toFixed(0)}% of ${ms(total)} ms).`);
  say();
  const one = timePool(fixture.modelPath, fixture.images, 1);
  const two = timePool(fixture.modelPath, fixture.images, 2);
  say(`| explainInWorkers, ${poolImages} images | whole run, s | images/s | after every worker's first image, images/s |`);
  say('|---|---:|---:|---:|');
  say(`| 1 worker | ${one.seconds.toFixed(1)} | ${one.imagesPerSecond.toFixed(2)} | ${one.steadyImagesPerSecond.toFixed(2)} |`);
  say(`| 2 workers | ${two.seconds.toFixed(1)} | ${two.imagesPerSecond.toFixed(2)} | ${two.steadyImagesPerSecond.toFixed(2)} |`);
  say(`| 2 / 1 workers | | ${(two.imagesPerSecond / one.imagesPerSecond).toFixed(2)}× | ${(two.steadyImagesPerSecond / one.steadyImagesPerSecond).toFixed(2)}× (floor 1.7× on 2 idle cores) |`);
  say(`Load average (uptime) after: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}.`);
  say();
  (await import('node:fs')).rmSync(fixture.dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
