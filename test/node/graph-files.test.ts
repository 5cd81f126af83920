import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { GradCamError } from '../../src';
import { rejectionWithoutLeak } from '../helpers/expect';
import { loadLayersModelFromFile, loadModelFromFile } from '../../src/node';
import { GRAPH_FIXTURE_DIR, GRAPH_NETS, expectExplainsAsFixture } from '../helpers/graph-fixtures';

/**
 * `loadModelFromFile` with the converted graph fixtures: GraphModels come out equal to
 * tf.loadGraphModel's, and a hostile graph model.json gets the same confinement and size checks
 * as a LayersModel's (weights read only inside its folder, byte counts checked, limits).
 */
let dir: string;
let secret: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-graph-files-'));
  secret = path.join(dir, 'secret.bin');
  fs.writeFileSync(secret, Buffer.alloc(4096, 7));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A copy of the VGG-style graph fixture in `<dir>/<name>`, its model.json rewritten by `edit`. */
function graphCopy(name: string, edit: (json: tf.io.ModelJSON) => tf.io.ModelJSON = (j) => j): string {
  const folder = path.join(dir, name);
  fs.cpSync(path.join(GRAPH_FIXTURE_DIR, 'vgg', 'graph'), folder, { recursive: true });
  const jsonPath = path.join(folder, 'model.json');
  fs.writeFileSync(jsonPath, JSON.stringify(edit(JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as tf.io.ModelJSON)));
  return jsonPath;
}

const withPaths = (paths: string[]) => (json: tf.io.ModelJSON): tf.io.ModelJSON => ({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths }] });

/** The error loading `file` rejects with (a GradCamError, nothing leaked). */
const loadError = (file: string, options = {}): Promise<GradCamError> => rejectionWithoutLeak(() => loadModelFromFile(file, options));

describe('loadModelFromFile: graph models', () => {
  it.each(GRAPH_NETS)('loads the %s graph (tfjs-converter imported at run time) and explains it as tf.loadGraphModel’s', async (net) => {
    const before = tf.memory().numTensors;
    const model = await loadModelFromFile(path.join(GRAPH_FIXTURE_DIR, net, 'graph'));
    expect('layers' in model).toBe(false);
    expectExplainsAsFixture(model, net);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('still loads the same net converted as layers as a LayersModel', async () => {
    const model = await loadModelFromFile(path.join(GRAPH_FIXTURE_DIR, 'vgg', 'layers'));
    expect('layers' in model).toBe(true);
    model.dispose();
  });

  it('uses the loadGraphModel given', async () => {
    let calls = 0;
    const model = await loadModelFromFile(path.join(GRAPH_FIXTURE_DIR, 'mobilenetv2', 'graph'), {
      loadGraphModel: async (handler) => {
        calls += 1;
        const { loadGraphModel } = await import('@tensorflow/tfjs-converter');
        return loadGraphModel(handler);
      },
    });
    expect(calls).toBe(2); // the weightless dry run, then the model
    (model as GraphModel).dispose();
  });

  it('loadLayersModelFromFile refuses a graph model, pointing to loadModelFromFile', async () => {
    const err = await loadLayersModelFromFile(path.join(GRAPH_FIXTURE_DIR, 'vgg', 'graph')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GradCamError);
    expect((err as GradCamError).code).toBe('UNSUPPORTED_MODEL');
    expect((err as GradCamError).message).toMatch(/graph[/\\]model\.json: it is a GraphModel .*loadModelFromFile/);
  });
});

describe('a hostile graph model.json', () => {
  it.each([
    ['a ../ escape', () => path.relative(path.join(dir, 'up'), secret), /climbs out with "\.\."/],
    ['an absolute path', () => secret, /is absolute/],
  ])('refuses %s before opening anything', async (name, shard, why) => {
    const err = await loadError(graphCopy(name.replace(/\W/g, ''), withPaths([shard()])));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(why);
  });

  it('refuses a symlink that leads out of the folder', async () => {
    const jsonPath = graphCopy('link', withPaths(['link.bin']));
    const outside = path.join(dir, 'outside.bin');
    fs.copyFileSync(path.join(path.dirname(jsonPath), 'group1-shard1of1.bin'), outside);
    fs.symlinkSync(outside, path.join(path.dirname(jsonPath), 'link.bin'));
    expect((await loadError(jsonPath)).message).toMatch(/"link\.bin" leads out of the folder/);
  });

  it('refuses weight files of another size than the manifest declares', async () => {
    const jsonPath = graphCopy('short');
    const shard = path.join(path.dirname(jsonPath), 'group1-shard1of1.bin');
    fs.truncateSync(shard, fs.statSync(shard).size - 8);
    expect((await loadError(jsonPath)).message).toMatch(/manifest's shapes and dtypes need \d+ bytes of weights, but the weight files hold \d+ bytes \(truncated/);
  });

  it('keeps the size limits', async () => {
    const jsonPath = graphCopy('limits');
    expect((await loadError(jsonPath, { maxWeightBytes: 1000 })).message).toMatch(/above the limit of 1000 bytes; raise maxWeightBytes/);
    expect((await loadError(jsonPath, { maxModelJsonBytes: 100 })).message).toMatch(/above the limit of 100 bytes for a model\.json/);
  });
});

describe('without @tensorflow/tfjs-converter installed', () => {
  afterEach(() => {
    jest.dontMock('@tensorflow/tfjs-converter');
    jest.resetModules();
  });

  it('says to install it', async () => {
    jest.resetModules();
    jest.doMock('@tensorflow/tfjs-converter', () => {
      throw new Error("Cannot find module '@tensorflow/tfjs-converter'");
    });
    const node = (await import('../../src/node')) as typeof import('../../src/node');
    const errors = (await import('../../src/errors')) as typeof import('../../src/errors');
    const err = await node.loadModelFromFile(path.join(GRAPH_FIXTURE_DIR, 'vgg', 'graph')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.GradCamError);
    expect((err as GradCamError).code).toBe('UNSUPPORTED_MODEL');
    expect((err as GradCamError).message).toMatch(/needs the optional peer dependency @tensorflow\/tfjs-converter.*npm install @tensorflow\/tfjs-converter/);
  });
});
