import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { DEMO_CLASSES, DEMO_IMAGE_SIZE, renderScene } from '../../src/demo';
import { writeImage } from '../../src/node';

/** The shipped demo model through the command (its default model) and `npm run demo`. */
const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist', 'cli.js');

let dir: string;
const seeds = [11, 12, 13, 14];
const truth: number[] = [];
beforeAll(async () => {
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does).`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-demo-'));
  fs.mkdirSync(path.join(dir, 'scenes'));
  for (const seed of seeds) {
    const scene = renderScene(seed);
    truth.push(scene.label);
    const image = tf.tensor3d(scene.image, [DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE, 3]);
    await writeImage(path.join(dir, 'scenes', `scene-${seed}.png`), image);
    image.dispose();
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('explains with the demo model by default, naming its classes, and mostly right', () => {
  const r = spawnSync(process.execPath, [cli, 'explain', path.join(dir, 'scenes'), '--json', '-o', path.join(dir, 'out')], { encoding: 'utf8' });
  expect(r.stderr).toMatch(/^Explained 4 images in/);
  expect(r.status).toBe(0);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; layer: string; predictions: Array<{ class: number; label: string }> });
  expect(lines.map((l) => path.basename(l.file))).toEqual(seeds.map((s) => `scene-${s}.png`));
  for (const line of lines) {
    expect(line.predictions).toHaveLength(3);
    for (const p of line.predictions) expect(p.label).toBe(DEMO_CLASSES[p.class]);
  }
  const right = lines.filter((l, i) => l.predictions[0].class === truth[i]).length;
  expect(right).toBeGreaterThanOrEqual(3);
  expect(fs.readdirSync(path.join(dir, 'out'))).toHaveLength(8);
});

it('npm run demo writes overlays and a contact sheet, and says where', async () => {
  const out = path.join(dir, 'demo-out');
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'demo.ts'), '--seed', '5', '--count', '3', '--out', out], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain(`Contact sheet: ${path.join(out, 'demo-contact-sheet.png')}`);
  expect(r.stdout).toMatch(/Explained 3 fresh scenes \(seed 5, gradcam, wasm backend\): \d of 3 classified right\./);
  expect(fs.readdirSync(out).sort()).toEqual(['demo-0-overlay.png', 'demo-1-overlay.png', 'demo-2-overlay.png', 'demo-contact-sheet.png']);
  const overlay = await sharp(path.join(out, 'demo-0-overlay.png')).metadata();
  expect([overlay.width, overlay.height]).toEqual([4 * DEMO_IMAGE_SIZE, 4 * DEMO_IMAGE_SIZE]);
  // Three tiles of 256 and a label panel across; a header and three rows of 256 down.
  const sheet = await sharp(path.join(out, 'demo-contact-sheet.png')).metadata();
  expect(sheet.width).toBeGreaterThan(3 * 256 + 200);
  expect(sheet.height).toBeGreaterThan(3 * 256);
});
