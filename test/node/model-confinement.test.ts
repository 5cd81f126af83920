import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError } from '../../src';
import { rejectionWithoutLeak } from '../helpers/expect';
import { fileIO, loadLayersModelFromFile, saveLayersModelToDir } from '../../src/node';
import { conv, dense } from '../helpers/models';

/** A hostile or broken model.json must never make the loader read outside its folder or allocate blindly. */
let dir: string;
let secret: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-confine-'));
  secret = path.join(dir, 'secret.bin');
  fs.writeFileSync(secret, Buffer.alloc(4096, 7));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function smallModel(): tfl.LayersModel {
  return tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [6, 6, 3] }), conv('c1', 2), tfl.layers.flatten(), dense('out', 2)] });
}

/** Saves a fresh model into `<dir>/<name>` and returns the folder and its parsed model.json. */
async function savedModel(name: string): Promise<{ folder: string; jsonPath: string; json: tf.io.ModelJSON; bytes: number; weights: number[][] }> {
  const model = smallModel();
  const folder = path.join(dir, name);
  const jsonPath = await saveLayersModelToDir(model, folder);
  const weights = weightValues(model);
  model.dispose();
  const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON;
  return { folder, jsonPath, json, bytes: fs.statSync(path.join(folder, 'model.weights.bin')).size, weights };
}

function weightValues(model: tfl.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

function rewrite(jsonPath: string, json: tf.io.ModelJSON, paths: string[]): void {
  fs.writeFileSync(jsonPath, JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths }] }));
}

/** The error loading `file` rejects with (a GradCamError, nothing leaked). */
const loadError = (file: string, options = {}): Promise<GradCamError> => rejectionWithoutLeak(() => loadLayersModelFromFile(file, options));

describe('weight paths stay inside the model folder', () => {
  it.each([
    ['a ../ escape', () => path.relative(path.join(dir, 'm'), secret), /climbs out with "\.\."/],
    ['a deeper ../ escape', () => `sub/../../${path.basename(secret)}`, /climbs out/],
    ['an absolute path', () => secret, /is absolute/],
    ['an absolute path to a file that does not exist', () => path.join(dir, 'nowhere.bin'), /is absolute/],
    ['a ../ escape to a file that does not exist', () => '../../../../nowhere.bin', /climbs out/],
    ['a backslash path', () => '..\\secret.bin', /backslash/],
  ])('refuses %s before opening anything, naming the path', async (_what, shard, why) => {
    const { jsonPath, json } = await savedModel('m');
    rewrite(jsonPath, json, [shard()]);
    const err = await loadError(jsonPath);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(why);
    expect(err.message).toContain(JSON.stringify(shard()));
    // A missing outside file gets the same refusal, not "does not exist": it was never looked up.
    expect(err.message).not.toMatch(/does not exist/);
  });

  it('refuses a symlink inside the folder that leads out of it', async () => {
    const { folder, jsonPath, json, bytes } = await savedModel('link-out');
    const outside = path.join(dir, 'outside-weights.bin');
    fs.copyFileSync(path.join(folder, 'model.weights.bin'), outside); // right size: only the link is wrong
    expect(fs.statSync(outside).size).toBe(bytes);
    fs.symlinkSync(outside, path.join(folder, 'link.bin'));
    rewrite(jsonPath, json, ['link.bin']);
    const err = await loadError(jsonPath);
    expect(err.message).toMatch(/"link\.bin" leads out of the folder \(to .*outside-weights\.bin, through a symlink\)/);
  });

  it('refuses a symlinked sub-folder that leads out', async () => {
    const { folder, jsonPath, json } = await savedModel('dir-link');
    fs.mkdirSync(path.join(dir, 'elsewhere'), { recursive: true });
    fs.copyFileSync(path.join(folder, 'model.weights.bin'), path.join(dir, 'elsewhere', 'w.bin'));
    fs.symlinkSync(path.join(dir, 'elsewhere'), path.join(folder, 'sub'));
    rewrite(jsonPath, json, ['sub/w.bin']);
    expect((await loadError(jsonPath)).message).toMatch(/leads out of the folder/);
  });

  it('follows symlinks that stay inside, and a model folder reached through a symlink', async () => {
    const { folder, jsonPath, json, weights } = await savedModel('link-in');
    fs.mkdirSync(path.join(folder, 'real'));
    fs.renameSync(path.join(folder, 'model.weights.bin'), path.join(folder, 'real', 'w.bin'));
    fs.symlinkSync(path.join(folder, 'real', 'w.bin'), path.join(folder, 'alias.bin'));
    rewrite(jsonPath, json, ['alias.bin']);
    const viaLink = path.join(dir, 'link-to-link-in');
    fs.symlinkSync(folder, viaLink);
    for (const p of [jsonPath, viaLink]) {
      const model = await loadLayersModelFromFile(p);
      expect(weightValues(model)).toEqual(weights);
      model.dispose();
    }
  });
});

describe('weight sizes are checked against the manifest before reading', () => {
  it('refuses truncated and over-long weight files with both byte counts', async () => {
    const { folder, jsonPath, bytes } = await savedModel('sizes');
    const bin = path.join(folder, 'model.weights.bin');
    const full = fs.readFileSync(bin);
    fs.writeFileSync(bin, full.subarray(0, 40));
    expect((await loadError(jsonPath)).message).toMatch(new RegExp(`need ${bytes} bytes of weights, but the weight files hold 40 bytes \\(truncated`));
    fs.writeFileSync(bin, Buffer.concat([full, Buffer.alloc(4)]));
    expect((await loadError(jsonPath)).message).toMatch(new RegExp(`need ${bytes} bytes .* hold ${bytes + 4} bytes \\(extra data\\)`));
  });

  it('refuses a manifest declaring billions of elements without allocating them', async () => {
    const { jsonPath, json } = await savedModel('huge');
    const weights = json.weightsManifest[0].weights.map((w, i) => (i === 0 ? { ...w, shape: [65536, 65536, 64] } : w));
    fs.writeFileSync(jsonPath, JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], weights }] }));
    const heapBefore = process.memoryUsage().arrayBuffers;
    const err = await loadError(jsonPath);
    expect(err.message).toMatch(/its manifest declares \d{13,} bytes of weights, above the limit of 1073741824 bytes; raise maxWeightBytes/);
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('applies maxWeightBytes and maxModelJsonBytes, and loads once they are raised', async () => {
    const { jsonPath, bytes } = await savedModel('limits');
    expect((await loadError(jsonPath, { maxWeightBytes: bytes - 1 })).message).toMatch(new RegExp(`declares ${bytes} bytes .* limit of ${bytes - 1} bytes`));
    const jsonBytes = fs.statSync(jsonPath).size;
    expect((await loadError(jsonPath, { maxModelJsonBytes: 100 })).message).toMatch(
      new RegExp(`model\\.json has ${jsonBytes} bytes, above the limit of 100 bytes for a model\\.json; raise maxModelJsonBytes`),
    );
    const model = await loadLayersModelFromFile(jsonPath, { maxWeightBytes: bytes, maxModelJsonBytes: jsonBytes });
    expect(model.countParams() * 4).toBe(bytes);
    model.dispose();
  });

  it('checks the limits as options, before touching the disk', async () => {
    const err = await loadError(path.join(dir, 'does-not-exist'), { maxWeightBytes: 0 });
    expect(err.code).toBe('BAD_OPTION');
    expect(() => fileIO('x/model.json', { maxModelJsonBytes: -5 })).toThrow(/maxModelJsonBytes must be a positive whole number/);
  });
});
