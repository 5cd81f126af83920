import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import { GradCam, GradCamError, loadModel } from '../../src';
import { GRAPH_FIXTURE_DIR, expectExplainsAsFixture } from '../helpers/graph-fixtures';

/**
 * `loadModel` with a graph-format model.json: it builds the GraphModel with the caller's
 * `loadGraphModel` (the main entry never imports tfjs-converter), after the same confinement as
 * LayersModels, and a failure leaves no tensor behind.
 */
const MODEL_URL = 'https://models.example.com/zoo/vgg/model.json';
const VGG_DIR = path.join(GRAPH_FIXTURE_DIR, 'vgg', 'graph');

interface Files {
  json: tf.io.ModelJSON;
  weights: ArrayBuffer;
}

function vggFiles(): Files {
  const json = JSON.parse(fs.readFileSync(path.join(VGG_DIR, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const bytes = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(VGG_DIR, p)))));
  return { json, weights: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
}

/** A fake server holding `files`; it records every URL asked of it. */
function server(files: Files): { fetchFunc: typeof fetch; asked: string[] } {
  const asked: string[] = [];
  const fetchFunc = (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    asked.push(url);
    if (url === MODEL_URL) return new Response(JSON.stringify(files.json), { status: 200, headers: { 'content-type': 'application/json' } });
    return new Response(files.weights, { status: 200 });
  }) as typeof fetch;
  return { fetchFunc, asked };
}

/** An IOHandler giving these artifacts (a graph model in memory). */
function inMemory(files: Files, change: Partial<tf.io.ModelArtifacts> = {}): tf.io.IOHandler {
  const weightSpecs = files.json.weightsManifest.flatMap((g) => g.weights);
  return { load: async () => ({ modelTopology: files.json.modelTopology, format: 'graph-model', weightSpecs, weightData: files.weights, ...change }) };
}

async function refusal(promise: Promise<unknown>): Promise<GradCamError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GradCamError);
  return err as GradCamError;
}

let files: Files;
beforeAll(() => {
  files = vggFiles();
});

describe('loadModel: graph-format models', () => {
  it('loads the converted VGG-style graph from a URL, fetching only beside model.json, and explains it as tf.loadGraphModel’s', async () => {
    const { fetchFunc, asked } = server(files);
    const before = tf.memory().numTensors;
    const model = await loadModel(MODEL_URL, { http: { fetchFunc }, loadGraphModel });
    expect(asked).toEqual([MODEL_URL, ...files.json.weightsManifest.flatMap((g) => g.paths.map((p) => `https://models.example.com/zoo/vgg/${p}`))]);
    expect('layers' in model).toBe(false);
    expectExplainsAsFixture(model, 'vgg');
    (model as GraphModel).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('without loadGraphModel, says exactly what to pass', async () => {
    const err = await refusal(loadModel(inMemory(files)));
    expect(err.code).toBe('UNSUPPORTED_MODEL');
    expect(err.message).toMatch(/pass the loadGraphModel function of @tensorflow\/tfjs-converter: loadModel\(source, \{ loadGraphModel \}\)/);
  });

  it.each([
    ['../../secret.bin', /climbs out/],
    ['https://evil.example.net/w.bin', /another server/],
  ])('refuses the graph weight path %s before fetching it', async (weightPath, why) => {
    const evil = { ...files, json: { ...files.json, weightsManifest: [{ ...files.json.weightsManifest[0], paths: [weightPath] }] } };
    const { fetchFunc, asked } = server(evil);
    const before = tf.memory().numTensors;
    const err = await refusal(loadModel(MODEL_URL, { http: { fetchFunc }, loadGraphModel }));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(why);
    expect(asked).toEqual([MODEL_URL]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['truncated', (w: ArrayBuffer) => w.slice(0, w.byteLength - 4), /need \d+ bytes of weights, but the weight files hold \d+ bytes \(truncated/],
    ['padded', (w: ArrayBuffer) => new Uint8Array([...new Uint8Array(w), 1, 2, 3, 4]).buffer, /\(extra data\)/],
  ])('refuses %s graph weights, leaking nothing', async (_what, cut, why) => {
    const before = tf.memory().numTensors;
    const err = await refusal(loadModel(inMemory(files, { weightData: cut(files.weights) }), { loadGraphModel }));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toMatch(why);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads a graph with an op tfjs-converter does not know, as tfjs does, and GradCam names the op', async () => {
    const topology = JSON.parse(JSON.stringify(files.json.modelTopology)) as { node: Array<{ op: string; name: string }> };
    const relu = topology.node.find((n) => n.op === 'Relu');
    expect(relu).toBeDefined();
    (relu as { op: string }).op = 'NoSuchOp';
    const before = tf.memory().numTensors;
    const model = (await loadModel(inMemory(files, { modelTopology: topology }), { loadGraphModel })) as GraphModel;
    let caught: unknown;
    try {
      new GradCam(model).dispose();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GradCamError);
    expect((caught as GradCamError).message).toMatch(/NoSuchOp/);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a graph the converter cannot build (an input naming no node) before any weight becomes a tensor', async () => {
    const topology = JSON.parse(JSON.stringify(files.json.modelTopology)) as { node: Array<{ op: string; input?: string[] }> };
    const relu = topology.node.find((n) => n.op === 'Relu') as { input: string[] };
    relu.input = ['no/such/node'];
    const before = tf.memory().numTensors;
    const err = await refusal(loadModel(inMemory(files, { modelTopology: topology }), { loadGraphModel }));
    expect([err.code, err.message]).toEqual(['BAD_INPUT', expect.stringMatching(/^Cannot load the model: loadGraphModel failed: /)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a graph topology without nodes, and a loader that gives no GraphModel', async () => {
    const noNodes = await refusal(loadModel(inMemory(files, { modelTopology: { node: 'x' } }), { loadGraphModel }));
    expect([noNodes.code, noNodes.message]).toEqual(['BAD_INPUT', expect.stringMatching(/no "node" list/)]);
    let disposed = 0;
    const notAGraph = async (): Promise<never> => ({ dispose: () => (disposed += 1) }) as never;
    const wrong = await refusal(loadModel(inMemory(files), { loadGraphModel: notAGraph }));
    expect([wrong.code, wrong.message]).toEqual(['UNSUPPORTED_MODEL', expect.stringMatching(/did not return a GraphModel/)]);
    expect(disposed).toBe(1);
  });
});
