import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError } from '../../src';
import { fileIO, loadLayersModelFromFile, saveLayersModelToDir } from '../../src/node';
import { conv, dense, randomImages } from '../helpers/models';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-io-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function smallModel(): tfl.LayersModel {
  return tfl.sequential({
    layers: [tfl.layers.inputLayer({ inputShape: [8, 8, 3] }), conv('c1', 4), tfl.layers.maxPooling2d({ poolSize: 2 }), conv('c2', 5), tfl.layers.flatten(), dense('out', 3)],
  });
}

/** The artifacts `model.save` produces, captured in memory. */
async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return captured as tf.io.ModelArtifacts;
}

function weightsOf(model: tfl.LayersModel): Array<{ name: string; shape: tfl.Shape; values: number[] }> {
  return model.weights.map((w) => ({ name: w.originalName, shape: w.shape, values: Array.from(w.read().dataSync()) }));
}

function predict(model: tfl.LayersModel, x: tf.Tensor): number[] {
  return tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
}

async function expectLoadError(file: string, pattern: RegExp): Promise<void> {
  const err = await loadLayersModelFromFile(file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GradCamError);
  expect((err as GradCamError).code).toBe('BAD_INPUT');
  expect((err as GradCamError).message).toMatch(pattern);
}

describe('loadLayersModelFromFile', () => {
  it('loads what saveLayersModelToDir wrote: the same weights and predictions as tf.io.fromMemory', async () => {
    const model = smallModel();
    const jsonPath = await saveLayersModelToDir(model, path.join(dir, 'saved'));
    expect(jsonPath).toBe(path.join(dir, 'saved', 'model.json'));
    expect(fs.readdirSync(path.join(dir, 'saved')).sort()).toEqual(['model.json', 'model.weights.bin']);

    const fromMemory = await tfl.loadLayersModel(tf.io.fromMemory(await artifactsOf(model)));
    const fromFile = await loadLayersModelFromFile(jsonPath);
    const fromDir = await loadLayersModelFromFile(path.join(dir, 'saved'));

    const x = randomImages(2);
    expect(weightsOf(fromFile)).toEqual(weightsOf(fromMemory));
    expect(weightsOf(fromFile)).toEqual(weightsOf(model));
    expect(predict(fromFile, x)).toEqual(predict(fromMemory, x));
    expect(predict(fromDir, x)).toEqual(predict(model, x));
    expect(fromFile.getConfig()).toEqual(fromMemory.getConfig());
    x.dispose();
    [model, fromMemory, fromFile, fromDir].forEach((m) => m.dispose());
  });

  it('reads a converter-style model.json with several weight groups and shards, in manifest order', async () => {
    const model = smallModel();
    const artifacts = await artifactsOf(model);
    const specs = artifacts.weightSpecs as tf.io.WeightsManifestEntry[];
    const data = Buffer.from(artifacts.weightData as ArrayBuffer);
    // Group 1: the first two weights in two shards of arbitrary length; group 2: the rest.
    const bytes = (s: tf.io.WeightsManifestEntry): number => s.shape.reduce((a, b) => a * b, 1) * 4;
    const firstGroupBytes = bytes(specs[0]) + bytes(specs[1]);
    const target = path.join(dir, 'sharded');
    fs.mkdirSync(path.join(target, 'shards'), { recursive: true });
    fs.writeFileSync(path.join(target, 'shards', 'g1-a.bin'), data.subarray(0, 17));
    fs.writeFileSync(path.join(target, 'shards', 'g1-b.bin'), data.subarray(17, firstGroupBytes));
    fs.writeFileSync(path.join(target, 'g2.bin'), data.subarray(firstGroupBytes));
    const json = {
      modelTopology: artifacts.modelTopology,
      format: 'layers-model',
      generatedBy: 'hand',
      convertedBy: 'TensorFlow.js Converter',
      weightsManifest: [
        { paths: ['shards/g1-a.bin', 'shards/g1-b.bin'], weights: specs.slice(0, 2) },
        { paths: ['g2.bin'], weights: specs.slice(2) },
      ],
    };
    fs.writeFileSync(path.join(target, 'model.json'), JSON.stringify(json));
    const loaded = await loadLayersModelFromFile(path.join(target, 'model.json'));
    const x = randomImages(1, 8, 3, 3);
    expect(weightsOf(loaded)).toEqual(weightsOf(model));
    expect(predict(loaded, x)).toEqual(predict(model, x));
    x.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('works as a plain IOHandler for tf.loadLayersModel and model.save', async () => {
    const model = smallModel();
    await model.save(fileIO(path.join(dir, 'handler', 'net.json')));
    expect(fs.existsSync(path.join(dir, 'handler', 'net.weights.bin'))).toBe(true);
    const back = await tfl.loadLayersModel(fileIO(path.join(dir, 'handler', 'net.json')));
    expect(weightsOf(back)).toEqual(weightsOf(model));
    model.dispose();
    back.dispose();
  });

  describe('errors', () => {
    it('names a missing path', async () => {
      await expectLoadError(path.join(dir, 'absent', 'model.json'), /absent[/\\]model\.json does not exist/);
      fs.mkdirSync(path.join(dir, 'empty'), { recursive: true });
      await expectLoadError(path.join(dir, 'empty'), /empty[/\\]model\.json does not exist/);
    });

    it('says when the file is not JSON or not a model', async () => {
      const write = (name: string, text: string): string => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        return file;
      };
      await expectLoadError(write('junk.json', '{ not json'), /junk\.json is not valid JSON/);
      await expectLoadError(write('list.json', '[1, 2]'), /list\.json is not a model\.json/);
      await expectLoadError(write('other.json', '{"name": "x"}'), /no "modelTopology"/);
      await expectLoadError(write('manifest.json', '{"modelTopology": {}, "weightsManifest": [{"paths": "a.bin"}]}'), /malformed "weightsManifest"/);
    });

    it('names a missing weight file', async () => {
      const model = smallModel();
      const target = path.join(dir, 'noweights');
      await saveLayersModelToDir(model, target);
      fs.rmSync(path.join(target, 'model.weights.bin'));
      await expectLoadError(path.join(target, 'model.json'), /weight file .*model\.weights\.bin \(listed in .*model\.json\) does not exist/);
      model.dispose();
    });

    it('wraps what tfjs-layers cannot build, e.g. an unknown layer class', async () => {
      const model = smallModel();
      const target = path.join(dir, 'unknown-layer');
      const jsonPath = await saveLayersModelToDir(model, target);
      const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      json.modelTopology.config.layers[1].class_name = 'NoSuchLayer';
      fs.writeFileSync(jsonPath, JSON.stringify(json));
      await expectLoadError(jsonPath, /Cannot load the model .*model\.json: .*NoSuchLayer/);
      model.dispose();
    });

    it('wraps truncated weights', async () => {
      const model = smallModel();
      const target = path.join(dir, 'truncated');
      await saveLayersModelToDir(model, target);
      const bin = path.join(target, 'model.weights.bin');
      fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 40));
      await expectLoadError(path.join(target, 'model.json'), /Cannot load the model/);
      model.dispose();
    });
  });
});
