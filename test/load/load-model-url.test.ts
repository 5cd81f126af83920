import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError, loadModel } from '../../src';

/**
 * `loadModel` with a URL: the model.json is not trusted, so its weight paths may not send the
 * loader to another server or out of the model's folder (unless `allowExternalWeights`). The
 * server is a `fetchFunc` that records what was asked of it.
 */
const MODEL_URL = 'https://models.example.com/zoo/net/model.json';

async function artifactsOfSmallModel(): Promise<tf.io.ModelArtifacts> {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  model.dispose();
  return saved as tf.io.ModelArtifacts;
}

/** A fake server: model.json whose manifest lists `weightPath`, and the weights at any other URL. */
function server(artifacts: tf.io.ModelArtifacts, weightPath: string): { fetchFunc: typeof fetch; asked: string[] } {
  const asked: string[] = [];
  const json = {
    modelTopology: artifacts.modelTopology,
    format: 'layers-model',
    weightsManifest: [{ paths: [weightPath], weights: artifacts.weightSpecs }],
  };
  const fetchFunc = (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    asked.push(url);
    if (url === MODEL_URL) return new Response(JSON.stringify(json), { status: 200, headers: { 'content-type': 'application/json' } });
    return new Response(artifacts.weightData as ArrayBuffer, { status: 200 });
  }) as typeof fetch;
  return { fetchFunc, asked };
}

describe('loadModel from a URL: weight files confined to the model.json\'s server and folder', () => {
  let artifacts: tf.io.ModelArtifacts;
  beforeAll(async () => {
    artifacts = await artifactsOfSmallModel();
  });

  it('loads weights that sit beside model.json', async () => {
    const { fetchFunc, asked } = server(artifacts, 'group1-shard1of1.bin');
    const model = await loadModel(MODEL_URL, { http: { fetchFunc } });
    expect(asked).toEqual([MODEL_URL, 'https://models.example.com/zoo/net/group1-shard1of1.bin']);
    model.dispose();
  });

  it.each([
    ['../../secret.bin', /climbs out/],
    ['https://evil.example.net/w.bin', /another server/],
    ['/etc/passwd', /is absolute/],
  ])('refuses the weight path %s before fetching it, leaking nothing', async (weightPath, why) => {
    const { fetchFunc, asked } = server(artifacts, weightPath);
    const before = tf.memory().numTensors;
    const err = await loadModel(MODEL_URL, { http: { fetchFunc } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GradCamError);
    expect((err as GradCamError).code).toBe('BAD_INPUT');
    expect((err as GradCamError).message).toMatch(why);
    expect(asked).toEqual([MODEL_URL]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fetches from elsewhere only with allowExternalWeights', async () => {
    const { fetchFunc, asked } = server(artifacts, 'https://cdn.example.org/w.bin');
    const model = await loadModel(MODEL_URL, { http: { fetchFunc }, allowExternalWeights: true });
    expect(asked).toEqual([MODEL_URL, 'https://cdn.example.org/w.bin']);
    model.dispose();
  });
});
