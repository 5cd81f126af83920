import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { GradCam } from '../../src';
import { loadLayersModelFromFile, readImage, writeImage } from '../../src/node';
import type * as NodeEntry from '../../src/node';
import { expectClose } from '../helpers/expect';

/**
 * tfjs-gradcam/node's worker pool, as users get it: the built dist/node.cjs (`npm test` builds
 * it first), whose workers run dist/pool-worker.cjs. Two workers on the demo model (cpu
 * backend, as this process), compared with GradCam.explain here in the main thread.
 */
const root = path.resolve(__dirname, '../..');
const built = path.join(root, 'dist', 'node.cjs');
const modelPath = path.join(root, 'demo-model', 'model.json');

let pool: typeof NodeEntry;
let model: LayersModel;
let dir: string;
let file: string;
let broken: string;

beforeAll(async () => {
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first (npm test does).`);
  pool = require(built) as typeof NodeEntry;
  model = await loadLayersModelFromFile(modelPath);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-pool-'));
  file = path.join(dir, 'scene.png');
  const scene = tf.tidy(() => tf.concat([tf.ones([40, 80, 3]), tf.zeros([40, 80, 3])], 0));
  await writeImage(file, scene);
  scene.dispose();
  broken = path.join(dir, 'broken.png');
  fs.writeFileSync(broken, 'not an image');
});

afterAll(() => {
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The single-thread reference: GradCam.explain in this thread. */
function reference(image: tf.Tensor3D, classIndex?: number): { heatmap: Float32Array; classIndex: number; output: Float32Array; score: number; layer: string } {
  const explainer = new GradCam(model);
  const r = explainer.explain(image, { classIndex });
  try {
    return { heatmap: r.heatmap.dataSync() as Float32Array, classIndex: r.classIndex[0], output: r.output.dataSync() as Float32Array, score: r.scores[0], layer: r.layerNames.join(',') };
  } finally {
    r.dispose();
    explainer.dispose();
  }
}

describe('explainInWorkers', () => {
  it('gives the single-thread maps, in input order, with a bad image failing alone', async () => {
    const a = tf.randomUniform([64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
    const b = tf.randomUniform([64, 64, 3], 0, 1, 'float32', 2) as tf.Tensor3D;
    const c = tf.randomUniform([64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const progress: NodeEntry.PoolProgress[] = [];
    const images: NodeEntry.PoolImage[] = [a, file, broken, { data: b.dataSync() as Float32Array, shape: [64, 64, 3] }, tf.zeros([2, 64, 64, 3]) as unknown as tf.Tensor3D, c];
    const run = await pool.explainInWorkers(images, { model: modelPath, workers: 2, backend: 'cpu', onProgress: (p) => progress.push(p) });
    // The caller's tensors are copied, not disposed; nothing is left in this thread.
    expect(tf.memory().numTensors).toBe(before + 1); // the [2,64,64,3] zeros made inline above
    expect(run.tensorsLeft).toEqual([0, 0]);

    const fromFile = await readImage(file, { size: model });
    const expected = [reference(a), reference(fromFile), undefined, reference(b), undefined, reference(c)];
    fromFile.dispose();
    expect(run.results).toHaveLength(6);
    for (const [i, want] of expected.entries()) {
      const got = run.results[i];
      if (want === undefined) {
        expect(got.ok).toBe(false);
        continue;
      }
      if (!got.ok) throw new Error(`image ${i} failed: ${got.error.message}`);
      expect(got.explanation.shape).toEqual([64, 64]);
      expect(got.explanation.classIndex).toBe(want.classIndex);
      expect(got.explanation.layerName).toBe(want.layer);
      expectClose(got.explanation.heatmap, want.heatmap, 1e-6);
      expectClose(got.explanation.output, want.output, 1e-6);
      expect(Math.abs(got.explanation.score - want.score)).toBeLessThanOrEqual(1e-6);
    }
    const brokenError = (run.results[2] as { error: Error & { code?: string } }).error;
    expect(brokenError.name).toBe('GradCamError');
    expect(brokenError.code).toBe('BAD_INPUT');
    expect(brokenError.message).toContain(broken);
    const batchError = (run.results[4] as { error: Error & { code?: string } }).error;
    expect(batchError.code).toBe('BAD_INPUT');
    expect(batchError.message).toMatch(/Image 4 must be one image \[H,W,C\], got a tensor of shape \[2,64,64,3\]/);

    // One report per image, counting up, the failures counted.
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress.map((p) => p.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(progress[5]).toMatchObject({ total: 6, failed: 2 });
    tf.dispose([a, b, c]);
  });

  it('explains a chosen class in every image', async () => {
    const image = tf.randomUniform([64, 64, 3], 0, 1, 'float32', 4) as tf.Tensor3D;
    const short = { data: new Float32Array(5), shape: [64, 64, 3] as const };
    const images = [image, short, 42 as unknown as NodeEntry.PoolImage, image, image];
    const run = await pool.explainInWorkers(images, { model: modelPath, workers: 2, backend: 'cpu', explain: { classIndex: 1 } });
    // Malformed pixel arrays fail in their own slots.
    const [, shortOutcome, numberOutcome] = run.results;
    expect(shortOutcome).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: 'Image 1 has 5 values, but its shape [64,64,3] needs 12288.' } });
    expect(numberOutcome).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringMatching(/^Image 2 is neither a path/) } });
    const want = reference(image, 1);
    for (const r of [run.results[0], run.results[3], run.results[4]]) {
      if (!r.ok) throw r.error;
      expect(r.explanation.classIndex).toBe(1);
      expectClose(r.explanation.heatmap, want.heatmap, 1e-6);
    }
    image.dispose();
  });

  it('rejects, with every worker ended, when the model cannot be loaded or explained', async () => {
    const missing = pool.explainInWorkers([file], { model: path.join(dir, 'nothing', 'model.json'), backend: 'cpu' });
    await expect(missing).rejects.toMatchObject({ name: 'GradCamError', code: 'BAD_INPUT', message: expect.stringContaining('does not exist') });
    const layer = pool.explainInWorkers([file, file], { model: modelPath, workers: 2, backend: 'cpu', explainer: { layerName: 'conv9' } });
    await expect(layer).rejects.toMatchObject({ name: 'GradCamError', code: 'UNKNOWN_LAYER' });
  });

  it('rejects bad options before starting a worker', async () => {
    const bad = (options: Partial<NodeEntry.ExplainInWorkersOptions>): Promise<unknown> => pool.explainInWorkers([file], { model: modelPath, ...options });
    await expect(bad({ workers: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION', message: expect.stringContaining('workers must be an integer from 1 to 64') });
    await expect(bad({ backend: 'gpu' as NodeEntry.PoolBackend })).rejects.toMatchObject({ code: 'BAD_OPTION', message: expect.stringContaining("'wasm', 'cpu'") });
    await expect(bad({ model: '' })).rejects.toMatchObject({ code: 'BAD_OPTION', message: expect.stringContaining('options.model') });
    await expect(bad({ read: { scale: '0-2' as NodeEntry.PoolReadOptions['scale'] } })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    await expect(bad({ explain: { classIndex: -1 } })).rejects.toMatchObject({ code: 'BAD_CLASS_INDEX' });
  });

  it('rejects with the signal’s reason on abort', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const images = Array.from({ length: 8 }, () => file);
    const run = pool.explainInWorkers(images, {
      model: modelPath,
      workers: 2,
      backend: 'cpu',
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.done);
        controller.abort(new Error('stop here'));
      },
    });
    await expect(run).rejects.toThrow('stop here');
    expect(seen.length).toBeLessThan(8);
    const already = pool.explainInWorkers([file], { model: modelPath, signal: AbortSignal.abort(new Error('before')) });
    await expect(already).rejects.toThrow('before');
    // A throwing progress callback ends the run the same way, not the process.
    const throwing = pool.explainInWorkers([file, file, file], {
      model: modelPath,
      workers: 2,
      backend: 'cpu',
      onProgress: () => {
        throw new Error('callback failed');
      },
    });
    await expect(throwing).rejects.toThrow('callback failed');
  });

  it('defaults to the core count, at most 4', () => {
    expect(pool.defaultWorkerCount()).toBe(Math.max(1, Math.min(os.availableParallelism(), 4)));
  });
});

/**
 * A process that used the pool ends by itself, in both module formats, after a success, an
 * abort and a failed setup (the workers' default backend, wasm, here).
 */
describe('the pool in a process of its own', () => {
  const program = (load: string): string => `
${load}
const model = ${JSON.stringify(modelPath)};
const image = ${JSON.stringify(path.join(root, 'demo-model', 'model.json'))};
(async () => {
  const pixels = { data: new Float32Array(64 * 64 * 3).fill(0.5), shape: [64, 64, 3] };
  const ok = await node.explainInWorkers([pixels, pixels, pixels], { model, workers: 2 });
  const controller = new AbortController();
  const aborted = await node.explainInWorkers([pixels, pixels, pixels, pixels], { model, workers: 2, signal: controller.signal,
    onProgress: () => controller.abort(new Error('abort')) }).then(() => 'finished', (e) => e.message);
  const failed = await node.explainInWorkers([pixels], { model: image + '.missing' }).then(() => 'finished', (e) => e.code);
  console.log(JSON.stringify({ ok: ok.results.map((r) => r.ok), left: ok.tensorsLeft, aborted, failed }));
})();
`;
  const run = (args: string[], source: string): { status: number | null; out: unknown } => {
    const r = spawnSync(process.execPath, [...args, source], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
    return { status: r.status, out: JSON.parse(r.stdout.trim().split('\n').pop() as string) };
  };
  const expected = { ok: [true, true, true], left: [0, 0], aborted: 'abort', failed: 'BAD_INPUT' };

  it('as ESM', () => {
    expect(run(['--input-type=module', '-e'], program("import * as node from 'tfjs-gradcam/node';")).out).toEqual(expected);
  });

  it('as CommonJS', () => {
    expect(run(['--input-type=commonjs', '-e'], program("const node = require('tfjs-gradcam/node');")).out).toEqual(expected);
  });
});
