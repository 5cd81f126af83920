import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { saveLayersModelToDir } from '../../src/node';
import { hugeHeaderPng } from '../helpers/png';
import { type Fixtures, makeFixtures } from './fixtures';

/**
 * The `tfjs-gradcam` command end to end, as users get it: the built dist/cli.js (`npm test`
 * builds it first) run by node on generated images and a hand-set model.
 */
const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist', 'cli.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], cwd = root): Run {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** JSON lines of stdout, parsed. */
function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function size(file: string): Promise<[number, number]> {
  const meta = await sharp(file).metadata();
  return [meta.height as number, meta.width as number];
}

let dir: string;
let fx: Fixtures;
let outCount = 0;
/** A fresh output folder for each run. */
const freshOut = (): string => path.join(dir, `out-${++outCount}`);

beforeAll(async () => {
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does).`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-cli-'));
  fx = await makeFixtures(dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('tfjs-gradcam explain', () => {
  it('explains a folder: one line per image, overlay and heatmap at each image size, a summary, exit 0', async () => {
    const out = freshOut();
    const r = run(['explain', fx.images, '--model', fx.model, '--labels', fx.labels, '--out', out]);
    expect(r.stderr).toMatch(/^Explained 2 images in \d+\.\d s; wrote 4 files to .*out-\d+\/\n$/);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^.*blue\.png: blue 0\.\d{3}, red 0\.\d{3} → .*blue\.overlay\.png$/),
      expect.stringMatching(/^.*red\.png: red 0\.\d{3}, blue 0\.\d{3} → .*red\.overlay\.png$/),
    ]);
    expect(fs.readdirSync(out).sort()).toEqual(['blue.heatmap.png', 'blue.overlay.png', 'red.heatmap.png', 'red.overlay.png']);
    // red.png is 32×48 while the model takes 16×16: the maps come back at the image's size.
    expect(await size(path.join(out, 'red.overlay.png'))).toEqual([32, 48]);
    expect(await size(path.join(out, 'red.heatmap.png'))).toEqual([32, 48]);
    expect(await size(path.join(out, 'blue.overlay.png'))).toEqual([16, 16]);
  });

  it('writes heatmaps that point at the evidence (gray colour map: the values themselves)', async () => {
    const out = freshOut();
    const r = run(['explain', fx.red, '--model', fx.model, '--colormap', 'gray', '--alpha', '1', '-o', out, '-q']);
    expect(r.code).toBe(0);
    const { data, info } = await sharp(path.join(out, 'red.heatmap.png')).raw().toBuffer({ resolveWithObject: true });
    const at = (y: number, x: number): number => data[(y * info.width + x) * info.channels];
    // The red quarter is rows 0–15, columns 0–23; away from its edge the map is 1 inside, 0
    // outside (up to the ringing of the Lanczos resize to the model's 16×16 input).
    for (const [y, x] of [[4, 4], [10, 18], [2, 12]]) expect(at(y, x)).toBeGreaterThanOrEqual(250);
    for (const [y, x] of [[28, 40], [4, 40], [28, 4], [24, 30]]) expect(at(y, x)).toBeLessThanOrEqual(5);
    // alpha 1: the overlay is the coloured map alone.
    const overlay = await sharp(path.join(out, 'red.overlay.png')).raw().toBuffer();
    expect(Buffer.compare(overlay, await sharp(path.join(out, 'red.heatmap.png')).toColourspace('srgb').raw().toBuffer())).toBe(0);
  });

  it('reports one bad image among good ones, explains the others, and exits 1', () => {
    const out = freshOut();
    const missing = path.join(dir, 'missing.png');
    const r = run(['explain', fx.red, fx.broken, missing, fx.blue, '--model', fx.model, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tfjs-gradcam: Cannot read ${fx.broken}: not a PNG, JPEG or WebP image.\n`);
    expect(r.stderr).toContain(`tfjs-gradcam: Cannot read ${missing}: no such file or folder.\n`);
    expect(r.stderr).toMatch(/Explained 2 of 4 images in \d+\.\d s; 2 failed \(see above\); wrote 4 files to /);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(fs.readdirSync(out).sort()).toEqual(['blue.heatmap.png', 'blue.overlay.png', 'red.heatmap.png', 'red.overlay.png']);
  });

  it('--json prints one object per image, errors included, and nothing else on stdout', () => {
    const out = freshOut();
    const r = run(['explain', fx.red, fx.broken, '--model', fx.model, '--labels', fx.labels, '--json', '-o', out]);
    expect(r.code).toBe(1);
    const [ok, bad] = jsonLines(r.stdout);
    expect(ok).toEqual({
      file: fx.red,
      width: 48,
      height: 32,
      predictions: [
        { class: 0, label: 'red', score: expect.any(Number) },
        { class: 1, label: 'blue', score: expect.any(Number) },
      ],
      method: 'gradcam',
      layer: 'colours',
      explained: [
        {
          class: 0,
          label: 'red',
          score: expect.any(Number),
          logit: expect.any(Number),
          overlay: path.join(out, 'red.overlay.png'),
          heatmap: path.join(out, 'red.heatmap.png'),
        },
      ],
    });
    const [red, blue] = ok.predictions as Array<{ score: number }>;
    // logits: 4 · mean(red) = 1 and 0, so softmax gives e/(e+1) (up to the resize's ringing).
    expect(red.score).toBeCloseTo(Math.E / (Math.E + 1), 3);
    expect(blue.score).toBeCloseTo(1 / (Math.E + 1), 3);
    expect((ok.explained as Array<{ logit: number }>)[0].logit).toBeCloseTo(1, 2);
    expect(bad).toEqual({ file: fx.broken, error: `Cannot read ${fx.broken}: not a PNG, JPEG or WebP image.`, code: 'BAD_INPUT' });
  });

  it('--metrics adds each map\'s faithfulness metrics to its JSON line and their means to the summary', () => {
    const r = run(['explain', fx.red, '--model', fx.model, '--json', '--metrics', '-o', freshOut()]);
    expect(r.code).toBe(0);
    const [line] = jsonLines(r.stdout);
    const [e] = line.explained as Array<{ score: number; metrics: Record<string, number> }>;
    expect(Object.keys(e.metrics).sort()).toEqual(['confidenceChange', 'deletion', 'drop', 'increase', 'insertion', 'roadCombined']);
    for (const v of Object.values(e.metrics)) expect(Number.isFinite(v)).toBe(true);
    // The per-image Average Drop term is the drop over the image's own probability (from predict).
    expect(e.metrics.drop).toBeCloseTo(Math.max(0, -e.metrics.confidenceChange) / e.score, 4);
    expect(e.metrics.increase).toBe(e.metrics.confidenceChange > 0 ? 1 : 0);
    // Probabilities: areas under a probability curve lie in [0, 1].
    for (const k of ['deletion', 'insertion']) expect(e.metrics[k]).toBeGreaterThanOrEqual(0);
    for (const k of ['deletion', 'insertion']) expect(e.metrics[k]).toBeLessThanOrEqual(1);
    expect(r.stderr).toMatch(/\nFaithfulness over 1 map \(means\): average drop \d\.\d{3}, average increase [01]\.000, ROAD combined -?\d\.\d{3}, deletion \d\.\d{3}, insertion \d\.\d{3}\n$/);
    const plain = run(['explain', fx.red, '--model', fx.model, '--json', '-o', freshOut()]);
    expect((jsonLines(plain.stdout)[0].explained as Array<Record<string, unknown>>)[0].metrics).toBeUndefined();
  });

  it('explains a phone photo as displayed (EXIF orientation), and reports truncated files and bombs per image', async () => {
    // Stored 48 wide × 32 high, red left half; EXIF orientation 6 shows it 32 wide × 48 high, red on top.
    const data = Buffer.alloc(48 * 32 * 3);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 48; x++) if (x < 24) data[(y * 48 + x) * 3] = 255;
    const photo = path.join(dir, 'photo.jpg');
    await sharp(data, { raw: { width: 48, height: 32, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(photo);
    const png = await sharp(data, { raw: { width: 48, height: 32, channels: 3 } }).png().toBuffer();
    const truncated = path.join(dir, 'cut.png');
    fs.writeFileSync(truncated, png.subarray(0, png.length >> 1));
    const bomb = path.join(dir, 'bomb.png');
    fs.writeFileSync(bomb, hugeHeaderPng(60_000, 60_000));

    const out = freshOut();
    const r = run(['explain', photo, truncated, bomb, '--model', fx.model, '--labels', fx.labels, '--class', 'red', '--colormap', 'gray', '--json', '-o', out]);
    expect(r.code).toBe(1);
    const [ok, cut, big] = jsonLines(r.stdout);
    expect(ok).toMatchObject({ file: photo, width: 32, height: 48 });
    expect(await size(path.join(out, 'photo.overlay.png'))).toEqual([48, 32]);
    const { data: heat, info } = await sharp(path.join(out, 'photo.heatmap.png')).raw().toBuffer({ resolveWithObject: true });
    expect([info.height, info.width]).toEqual([48, 32]);
    const at = (y: number, x: number): number => heat[(y * info.width + x) * info.channels];
    expect(at(8, 16)).toBeGreaterThan(200); // the red half, on top as displayed
    expect(at(40, 16)).toBeLessThan(30);
    expect(cut).toMatchObject({ file: truncated, code: 'BAD_INPUT', error: expect.stringMatching(/^Cannot read .*cut\.png: damaged or truncated/) });
    expect(big).toMatchObject({ file: bomb, code: 'BAD_INPUT', error: expect.stringMatching(/60000×60000 = 3600000000 pixels, above the limit of 50000000/) });
    expect(r.stderr).toContain(`tfjs-gradcam: Cannot read ${truncated}: damaged or truncated`);
  });

  it('--max-pixels lowers the pixel limit, per image', () => {
    const out = freshOut();
    const r = run(['explain', fx.blue, fx.red, '--model', fx.model, '--max-pixels', '1000', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tfjs-gradcam: Cannot read ${fx.red}: the image is 48×32 = 1536 pixels, above the limit of 1000; raise maxPixels (--max-pixels) if you trust it.\n`);
    expect(fs.readdirSync(out).sort()).toEqual(['blue.heatmap.png', 'blue.overlay.png']);
  });

  it('--top-k explains several classes; --class picks one by name or index', () => {
    const out = freshOut();
    const topK = run(['explain', fx.red, '--model', fx.model, '--labels', fx.labels, '--top-k', '2', '--json', '-o', out]);
    expect(topK.code).toBe(0);
    const [line] = jsonLines(topK.stdout);
    expect((line.explained as Array<{ class: number; overlay: string }>).map((e) => [e.class, path.basename(e.overlay)])).toEqual([
      [0, 'red.1-red.overlay.png'],
      [1, 'red.2-blue.overlay.png'],
    ]);
    expect(fs.readdirSync(out)).toHaveLength(4);

    const byName = run(['explain', fx.red, '--model', fx.model, '--labels', fx.labels, '--class', 'blue', '-o', freshOut()]);
    expect(byName.code).toBe(0);
    expect(byName.stdout).toMatch(/red\.png: red 0\.731, blue 0\.269; explained blue → /);
    const byIndex = jsonLines(run(['explain', fx.red, '--model', fx.model, '-c', '1', '--json', '-o', freshOut()]).stdout)[0];
    expect((byIndex.explained as Array<{ class: number; label?: string }>)[0]).toMatchObject({ class: 1 });
    expect((byIndex.explained as Array<{ label?: string }>)[0].label).toBeUndefined(); // no labels: indices only
  });

  it('--output explains one output of a two-output model; --max-channels runs Faster-ScoreCAM', async () => {
    // The red/blue classifier with a second, regression output on the same features.
    const input = tfl.input({ shape: [16, 16, 3] });
    const colours = tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', name: 'colours' }).apply(input) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(colours) as tfl.SymbolicTensor;
    const scores = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'scores' }).apply(pooled) as tfl.SymbolicTensor;
    const amount = tfl.layers.dense({ units: 1, name: 'amount' }).apply(pooled) as tfl.SymbolicTensor;
    const twoHeads = tfl.model({ inputs: input, outputs: [amount, scores] });
    const weights = {
      colours: [tf.tensor4d([1, 0, 0, 0, 0, 1], [1, 1, 3, 2]), tf.zeros([2])],
      scores: [tf.tensor2d([4, 0, 0, 4], [2, 2]), tf.zeros([2])],
      amount: [tf.ones([2, 1]), tf.zeros([1])],
    };
    for (const [layer, values] of Object.entries(weights)) {
      twoHeads.getLayer(layer).setWeights(values);
      tf.dispose(values);
    }
    const modelPath = path.join(dir, 'two-heads', 'model.json');
    await saveLayersModelToDir(twoHeads, path.dirname(modelPath));
    twoHeads.dispose();

    const missing = run(['explain', fx.red, '--model', modelPath, '-o', freshOut()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/the model has 2 outputs \(amount, scores\): choose the classifier's with --output NAME/);
    // A one-column output is explained as a single score: here the mean red + blue, 0.25 for red.png.
    const regression = run(['explain', fx.red, '--model', modelPath, '--output', 'amount', '--json', '-o', freshOut()]);
    expect(regression.code).toBe(0);
    expect((jsonLines(regression.stdout)[0].predictions as Array<{ score: number }>)[0].score).toBeCloseTo(0.25, 2);
    const one = (extra: string[]): Record<string, unknown> => {
      const r = run(['explain', fx.red, '--model', modelPath, '--output', 'scores', '--labels', fx.labels, '--json', '-o', freshOut(), ...extra]);
      expect(r.code).toBe(0);
      return jsonLines(r.stdout)[0];
    };
    const plain = one([]);
    // The same predictions as the one-output model's, read from the explanation's own pass.
    expect(plain.predictions).toEqual(jsonLines(run(['explain', fx.red, '--model', fx.model, '--labels', fx.labels, '--json', '-o', freshOut()]).stdout)[0].predictions);
    expect((plain.explained as Array<{ label: string }>)[0].label).toBe('red');
    const faster = one(['--method', 'scorecam', '--max-channels', '1']);
    expect((faster.explained as Array<{ label: string }>)[0].label).toBe('red');
  });

  it('--model takes a GraphModel (tensorflowjs_converter graph format): the same predictions and maps as the net converted as layers', async () => {
    const converted = (format: string): Record<string, unknown> => {
      const r = run(['explain', fx.red, '--model', path.join(root, 'test/fixtures/graph/vgg', format), '--top-k', '2', '--json', '-o', freshOut()]);
      expect(r.stderr).toMatch(/^Explained 1 image/);
      expect(r.code).toBe(0);
      return jsonLines(r.stdout)[0];
    };
    const graph = converted('graph');
    const layers = converted('layers');
    expect(graph.layer).toBe('StatefulPartitionedCall/vgg/block3_conv2/Relu');
    expect(layers.layer).toBe('block3_pool'); // the same tensor: the converter swapped MaxPool and Relu
    type Scored = { class: number; score: number; logit?: number; heatmap?: string };
    const [g, l] = [graph.predictions as Scored[], layers.predictions as Scored[]];
    expect(g.map((p) => p.class)).toEqual(l.map((p) => p.class));
    g.forEach((p, i) => expect(p.score).toBeCloseTo(l[i].score, 4));
    const [ge, le] = [graph.explained as Scored[], layers.explained as Scored[]];
    expect(ge.map((e) => e.class)).toEqual(le.map((e) => e.class));
    for (const [i, e] of ge.entries()) {
      expect(e.logit).toBeCloseTo(le[i].logit as number, 4);
      const [a, b] = await Promise.all([e, le[i]].map((x) => sharp(x.heatmap as string).raw().toBuffer()));
      expect(a.length).toBe(b.length);
      expect(Math.max(...Array.from(a, (v, k) => Math.abs(v - b[k])))).toBeLessThanOrEqual(1);
    }
  });

  it('runs the same on the wasm (default) and cpu backends', () => {
    const scores = (backend: string[]): unknown => jsonLines(run(['explain', fx.images, '--model', fx.model, '--json', '-o', freshOut(), ...backend]).stdout).map((l) => l.predictions);
    expect(scores([])).toEqual(scores(['--backend', 'cpu']));
  });

  it('--jobs 2 writes the same lines and the same files as --jobs 1, in input order', () => {
    const outputs = (jobs: string): { lines: string[]; files: Map<string, Buffer>; stderr: string; code: number | null } => {
      const out = freshOut();
      const r = run(['explain', fx.red, fx.broken, fx.blue, fx.grey, '--model', fx.model, '--labels', fx.labels, '--json', '--jobs', jobs, '-o', out]);
      const files = new Map(fs.readdirSync(out).map((f) => [f, fs.readFileSync(path.join(out, f))]));
      return { lines: r.stdout.trim().split('\n').map((l) => l.split(out).join('OUT')), files, stderr: r.stderr, code: r.code };
    };
    const one = outputs('1');
    const two = outputs('2');
    expect(two.code).toBe(1);
    expect(one.code).toBe(1);
    expect(two.lines).toEqual(one.lines);
    expect(two.lines.map((l) => (JSON.parse(l) as { file: string }).file)).toEqual([fx.red, fx.broken, fx.blue, fx.grey]);
    expect([...two.files.keys()].sort()).toEqual([...one.files.keys()].sort());
    expect(two.files.size).toBe(6);
    for (const [name, bytes] of one.files) expect(two.files.get(name)?.equals(bytes)).toBe(true);
    expect(two.stderr).toMatch(/Explained 3 of 4 images in \d+\.\d s; 1 failed/);
    const bad = run(['explain', fx.red, '--jobs', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--jobs must be a positive integer \(got '0'\)/);
  });

  it('applies --scale, --mean and --std to the pixels', () => {
    // grey.png is (191, 0, 64) everywhere; the red logit is 4 · relu(the scaled red value).
    const logit = (args: string[]): number => {
      const r = run(['explain', fx.grey, '--model', fx.model, '--json', '-o', freshOut(), ...args]);
      expect(r.code).toBe(0);
      const [line] = jsonLines(r.stdout);
      const scores = line.explained as Array<{ class: number; logit: number }>;
      expect(scores[0].class).toBe(0);
      return scores[0].logit;
    };
    expect(logit([])).toBeCloseTo((4 * 191) / 255, 4);
    expect(logit(['--scale', 'none'])).toBeCloseTo(4 * 191, 2);
    expect(logit(['--scale', '-1-1'])).toBeCloseTo(4 * (191 / 127.5 - 1), 4);
    expect(logit(['--mean', '0.5,0.5,0.5', '--std', '0.25,1,1'])).toBeCloseTo(4 * ((191 / 255 - 0.5) / 0.25), 4);
  });
});

describe('tfjs-gradcam errors', () => {
  it.each([
    [['explain', 'a.png', '--bogus'], /^tfjs-gradcam: unknown option '--bogus'\./],
    [['explain', 'a.png', '--alpha', '3'], /--alpha .* \(got '3'\)/],
    [['explain', 'a.png', '--method', 'nope'], /--method must be one of: gradcam, gradcam\+\+/],
    [['explain'], /no images given/],
    [[], /no command given/],
  ])('exits 2 for the bad command line %j, pointing to --help', (args, pattern) => {
    const r = run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern as RegExp);
    expect(r.stderr).toMatch(/Usage: tfjs-gradcam explain \[options\] <image\|folder>\.\.\.\nTry 'tfjs-gradcam --help' for more information\.\n$/);
  });

  it('exits 2 for a layer or class the model does not have, listing the choices', () => {
    const layer = run(['explain', fx.red, '--model', fx.model, '--layer', 'conv9', '-o', freshOut()]);
    expect(layer.code).toBe(2);
    expect(layer.stderr).toMatch(/--layer: No layer named "conv9".*\n\s+colours \[\?,16,16,2\]/);
    const cls = run(['explain', fx.red, '--model', fx.model, '--labels', fx.labels, '--class', 'green', '-o', freshOut()]);
    expect(cls.code).toBe(2);
    expect(cls.stderr).toMatch(/--class 'green' is not a class name: choose one of: red, blue\./);
    const topK = run(['explain', fx.red, '--model', fx.model, '--top-k', '3', '-o', freshOut()]);
    expect(topK.code).toBe(2);
    expect(topK.stderr).toMatch(/--top-k must be at most 2/);
  });

  it('exits 1 with a clear message when the model does not load, writing nothing', () => {
    const out = freshOut();
    const missing = run(['explain', fx.red, '--model', path.join(dir, 'nowhere', 'model.json'), '-o', out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^tfjs-gradcam: Cannot load the model: .*nowhere\/model\.json does not exist\.\n$/);
    const notModel = run(['explain', fx.red, '--model', fx.labels, '-o', out]);
    expect(notModel.code).toBe(1);
    expect(notModel.stderr).toMatch(/labels\.txt is not valid JSON/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('exits 1 for a labels file that does not fit the model', () => {
    const labels = path.join(dir, 'three.txt');
    fs.writeFileSync(labels, 'a\nb\nc\n');
    const r = run(['explain', fx.red, '--model', fx.model, '--labels', labels, '-o', freshOut()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/three\.txt has 3 lines, but the model has 2 classes/);
  });

  it('exits 1 when no path exists', () => {
    const r = run(['explain', path.join(dir, 'nope.png'), '--model', fx.model, '-o', freshOut()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot read .*nope\.png: no such file or folder\.\n/);
    expect(r.stderr).toMatch(/Explained 0 of 1 image in/);
  });
});

describe('tfjs-gradcam --help and --version', () => {
  it('prints the help on stdout and exits 0', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: tfjs-gradcam explain \[options\] <image\|folder>\.\.\.\n/);
    expect(r.stdout).toMatch(/Exit status:/);
    expect(run(['explain', '-h']).stdout).toBe(r.stdout);
  });

  it('prints the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(run(['--version']).stdout).toBe(`tfjs-gradcam ${pkg.version}\n`);
  });

  it('starts with a shebang, so npm can link it as a command', () => {
    expect(fs.readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
