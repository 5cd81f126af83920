/**
 * `npm run bench:compare`: pytorch-grad-cam's GradCAM and tfjs-gradcam's worker pool on the same
 * architectures (VGG16, MobileNetV2; seeded random weights), the same number of 224×224 images,
 * in one sitting. The Python side (bench/pytorch-grad-cam/, see its README) runs first when
 * `--pgc` names pytorch-grad-cam's source; without it only our rows are measured.
 *
 *   --pgc=PATH          pytorch-grad-cam's source (holding pytorch_grad_cam/), commit 084273b
 *   --python=PATH       the Python with torch and torchvision (default /usr/bin/python3)
 *   --images=N          images per run (default 32)
 *   --networks=A,B      default VGG16,MobileNetV2
 *   --rounds=N          pool runs of each worker count, alternated (default 3); medians reported
 *   --out=FILE          also write the table there
 *
 * Needs `npm run build` (the pool runs dist/pool-worker.js).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mobileNetV2, vgg16 } from './models';
import { type PoolTiming, cliSplit, poolFixture, timePool } from './pool';

tf.env().set('PROD', true);

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'] as const;
  }),
);
const images = Number(args.get('images') ?? 32);
const networks = (args.get('networks') ?? 'VGG16,MobileNetV2').split(',');
const BUILDERS: Record<string, () => tfl.LayersModel> = { VGG16: vgg16, MobileNetV2: mobileNetV2 };

interface Row {
  readonly network: string;
  readonly who: string;
  /** Images per second after warm-up (torch: a second pass over the images; the pool: after every worker's first image). */
  readonly steady: number;
  /** The whole run: building (torch) or loading (each worker) the model, then every image. */
  readonly whole: { readonly seconds: number; readonly imagesPerSecond: number };
}

const rounds = Number(args.get('rounds') ?? 3);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** pytorch-grad-cam's rows, from bench/pytorch-grad-cam/time_gradcam.py. */
function pytorchRows(pgc: string): { rows: Row[]; versions: string } {
  const script = fileURLToPath(new URL('./pytorch-grad-cam/time_gradcam.py', import.meta.url));
  const python = args.get('python') ?? '/usr/bin/python3';
  const stdout = execFileSync(python, [script, '--pgc', pgc, '--images', String(images), '--networks', networks.join(',')], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const result = JSON.parse(stdout.trim().split('\n').pop() as string) as {
    torch: string;
    torchvision: string;
    rows: Array<{ network: string; threads: number; msPerImage: number; imagesPerSecond: number; forwardMs: number; wholeSeconds: number }>;
  };
  return {
    versions: `torch ${result.torch}, torchvision ${result.torchvision}`,
    rows: result.rows.map((r) => ({
      network: r.network,
      who: `pytorch-grad-cam GradCAM, ${r.threads} torch thread${r.threads > 1 ? 's' : ''} (forward alone ${r.forwardMs.toFixed(0)} ms)`,
      steady: r.imagesPerSecond,
      whole: { seconds: r.wholeSeconds, imagesPerSecond: images / r.wholeSeconds },
    })),
  };
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  const lines: string[] = [];
  const say = (line = ''): void => {
    console.log(line);
    lines.push(line);
  };
  say(`Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}; load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}.`);
  const pgc = args.get('pgc');
  const rows: Row[] = [];
  if (pgc !== undefined) {
    const torch = pytorchRows(pgc);
    say(`pytorch-grad-cam 084273b, ${torch.versions}.`);
    rows.push(...torch.rows);
  }
  for (const network of networks) {
    const model = BUILDERS[network]();
    const fixture = await poolFixture(model, images);
    const split = await cliSplit(model, fixture.images[0], 3);
    model.dispose();
    say(`${network}, one image through the command's steps (--jobs 1, wasm, medians of 3): read ${split.read.toFixed(0)} ms, explain ${split.explain.toFixed(0)} ms, write the two PNGs ${split.write.toFixed(0)} ms.`);
    // 1 and 2 workers alternated, `rounds` times: a slow spell of the machine hits both.
    const runs = new Map<number, PoolTiming[]>([[1, []], [2, []]]);
    for (let r = 0; r < rounds; r++) {
      for (const workers of [1, 2]) {
        const t = timePool(fixture.modelPath, fixture.images, workers);
        runs.get(workers)?.push(t);
        say(`  round ${r + 1}, ${workers} worker${workers > 1 ? 's' : ''}: ${t.seconds.toFixed(1)} s in all (${t.imagesPerSecond.toFixed(2)} images/s), first result after ${t.firstResult.toFixed(1)} s, then ${t.steadyImagesPerSecond.toFixed(2)} images/s`);
      }
    }
    for (const [workers, ts] of runs) {
      rows.push({
        network,
        who: `tfjs-gradcam explainInWorkers (wasm), ${workers} worker${workers > 1 ? 's' : ''} (= --jobs ${workers})`,
        steady: median(ts.map((t) => t.steadyImagesPerSecond)),
        whole: { seconds: median(ts.map((t) => t.seconds)), imagesPerSecond: images / median(ts.map((t) => t.seconds)) },
      });
    }
    const ratio = (f: (t: PoolTiming) => number): string => {
      const per = runs.get(1)?.map((one, i) => f(runs.get(2)?.[i] as PoolTiming) / f(one)) ?? [];
      return `${per.map((x) => x.toFixed(2)).join(', ')} (median ${median(per).toFixed(2)})`;
    };
    say(`${network}, 2 workers / 1 worker, round by round: after every worker's first image ${ratio((t) => t.steadyImagesPerSecond)}; whole run ${ratio((t) => t.imagesPerSecond)}.`);
    fs.rmSync(fixture.dir, { recursive: true, force: true });
  }
  say(`Load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}.`);
  say();
  say(`| network | who, ${images} images of 224×224 | images/s after warm-up | whole run (model built or loaded, then every image): s (images/s) |`);
  say('|---|---|---:|---:|');
  for (const network of networks) {
    for (const r of rows.filter((x) => x.network === network)) {
      say(`| ${network} | ${r.who} | ${r.steady.toFixed(2)} | ${r.whole.seconds.toFixed(1)} (${r.whole.imagesPerSecond.toFixed(2)}) |`);
    }
  }
  const out = args.get('out');
  if (out !== undefined) fs.writeFileSync(out, `${lines.join('\n')}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
