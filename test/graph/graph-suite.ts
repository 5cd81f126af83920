import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { CAM_METHODS, type ExplainOptions, GradCam, featureMapLayers } from '../../src';
import { splitExplainable } from '../../src/model/explainable';
import { expectGradCamError } from '../helpers/expect';
import { relativeDiff } from '../helpers/fixtures';
import { GRAPH_NETS, type GraphNet, graphReference, loadGraphFixture, loadLayersFixture, tensorOf } from '../helpers/graph-fixtures';

/** The node the automatic target must pick in each converted graph: the keras.io layer's tensor. */
export const AUTO_NODE: Record<GraphNet, string> = {
  // The converter swapped MaxPool and Relu: block3_pool/MaxPool holds values before the ReLU.
  vgg: 'StatefulPartitionedCall/vgg/block3_conv2/Relu',
  residual: 'StatefulPartitionedCall/residual/stage2_out/Relu',
  mobilenetv2: 'StatefulPartitionedCall/mobilenetv2/out_relu/Relu6',
};

/** Methods whose map depends only on the network, computed both ways. */
const METHODS = CAM_METHODS.filter((m) => m !== 'cam');

/**
 * The GraphModel suite, run on the current backend. `full: false` runs the checks against the
 * keras.io recipe and the skip-connection target only (the cpu backend's JavaScript gradients
 * make the rest slow there; wasm runs it all).
 */
export function describeGraphModels({ full }: { full: boolean }): void {
  describe.each(GRAPH_NETS)('GraphModel %s', (net) => {
    const ref = graphReference(net);
    let graph: GraphModel<tf.io.IOHandlerSync>;
    let layers: LayersModel;
    let images: tf.Tensor4D;
    beforeAll(async () => {
      graph = loadGraphFixture(net);
      layers = await loadLayersFixture(net);
      images = tensorOf(ref.images) as tf.Tensor4D;
    });
    afterAll(() => {
      graph.dispose();
      layers.dispose();
      images.dispose();
    });

    it('picks the keras.io layer’s tensor as the automatic target, robust to the converter’s rewrites', () => {
      const before = tf.memory().numTensors;
      const gc = new GradCam(graph);
      expect(gc.layerName).toBe(AUTO_NODE[net]);
      const split = splitExplainable(graph, undefined, {});
      const pass = split.forward(images);
      const logits = pass.head(pass.activations);
      ref.keras_io.forEach((c, i) => {
        const row = (t: tf.Tensor): tf.Tensor => tf.tidy(() => tf.squeeze(tf.slice(t, [i], [1]), [0]));
        const [a, l] = [row(pass.activations), row(logits)];
        expect(relativeDiff(a, c.activations.data)).toBeLessThan(1e-5);
        expect(relativeDiff(l, c.logits.data)).toBeLessThan(1e-5);
        tf.dispose([a, l]);
      });
      tf.dispose(logits);
      pass.dispose();
      gc.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('gradcam equals the keras.io recipe within 1e-4 and finds the same classes', () => {
      const before = tf.memory().numTensors;
      const gc = new GradCam(graph);
      const r = gc.explain(images);
      expect(r.classIndex).toEqual(ref.keras_io.map((c) => c.class));
      const cams = tf.unstack(r.cam);
      ref.keras_io.forEach((c, i) => expect(relativeDiff(cams[i], c.raw.data)).toBeLessThan(1e-4));
      tf.dispose(cams);
      r.dispose();
      gc.dispose(); // it holds the transposed kernels of the dense head
      expect(tf.memory().numTensors).toBe(before);
    });

    if (full) {
      it.each(METHODS)('%s: the GraphModel cam equals the LayersModel cam within 1e-5', (method) => {
        // The perturbation methods run hundreds of forward passes per image: one image is enough.
        const perturbation = method === 'scorecam' || method === 'ablationcam';
        const batch = perturbation ? tf.slice(images, [0], [1]) : images;
        expectSameAsLayers(graph, layers, batch, { method, batchSize: 64 });
        if (perturbation) batch.dispose();
      });

      it('CAM works where the head is GAP + Dense, and says why not elsewhere', () => {
        if (net === 'vgg') {
          const gc = new GradCam(graph);
          expectGradCamError(() => gc.explain(images, { method: 'cam' }), 'UNSUPPORTED_MODEL', /CAM needs/);
          gc.dispose();
        } else {
          expectSameAsLayers(graph, layers, images, { method: 'cam' });
        }
      });

      it('lists the feature-map nodes in execution order, the automatic target among them', () => {
        const maps = featureMapLayers(graph);
        const names = maps.map((m) => m.name);
        expect(names).toContain(AUTO_NODE[net]);
        const auto = maps.find((m) => m.name === AUTO_NODE[net]);
        expect(auto?.shape).toEqual([null, ...ref.keras_io[0].activations.shape]);
        expect(maps.every((m) => m.shape.length === 4 && (m.shape[1] as number) * (m.shape[2] as number) > 1)).toBe(true);
        // Every listed node is a valid layerName.
        for (const name of names.slice(-3)) new GradCam(graph, { layerName: name }).dispose();
      });

      it('leaves the model untouched', () => {
        const weights = Object.fromEntries(Object.entries(graph.weights).map(([k, v]) => [k, v.map((t) => t.dataSync().slice())]));
        const before = (graph.predict(images) as tf.Tensor).dataSync().slice();
        const gc = new GradCam(graph);
        for (const method of ['gradcam', 'eigencam'] as const) gc.explain(images, { method }).dispose();
        gc.dispose();
        const after = graph.predict(images) as tf.Tensor;
        expect(Array.from(after.dataSync())).toEqual(Array.from(before));
        after.dispose();
        for (const [k, v] of Object.entries(graph.weights)) v.forEach((t, i) => expect(t.dataSync()).toEqual(weights[k][i]));
      });
    }
  });

  describe('GraphModel options (residual net)', () => {
    let graph: GraphModel<tf.io.IOHandlerSync>;
    let layers: LayersModel;
    let images: tf.Tensor4D;
    beforeAll(async () => {
      graph = loadGraphFixture('residual');
      layers = await loadLayersFixture('residual');
      images = tensorOf(graphReference('residual').images) as tf.Tensor4D;
    });
    afterAll(() => {
      graph.dispose();
      layers.dispose();
      images.dispose();
    });

    if (full) {
      it.each<[string, ExplainOptions]>([
        ['per-image classes', { classIndex: [1, 2, 3] }],
        ['one class for all', { classIndex: 4 }],
        ["score: 'probability'", { score: 'probability' }],
        ['counterfactual', { counterfactual: true }],
        ['eigenSmooth', { eigenSmooth: true, method: 'gradcam++' }],
        ['augSmooth', { augSmooth: true }],
        ['a target function', { target: (out: tf.Tensor) => tf.sum(tf.slice(out, [0, 0], [-1, 3]), 1) as tf.Tensor1D }],
      ])('%s: equals the LayersModel', (_, options) => {
        expectSameAsLayers(graph, layers, images, options);
      });
    }

    it('a target inside a block, with the shortcut that skips over it fed from the body', () => {
      // Two convolutions whose BatchNorm the converter folded lie after this target: their rounding
      // differs from the LayersModel's (measured 1.2e-5 relative on wasm).
      const node = 'StatefulPartitionedCall/residual/stage2_a_relu/Relu';
      expectSameAsLayers(graph, layers, images, {}, [node], ['stage2_a_relu'], 5e-5);
      const first = tf.slice(images, [0], [1]);
      expectSameAsLayers(graph, layers, first, { method: 'ablationcam' }, [node], ['stage2_a_relu'], 5e-5);
      first.dispose();
    });

    if (full) {
      it('several target nodes', () => {
        const nodes = ['StatefulPartitionedCall/residual/stage1_out/Relu', 'StatefulPartitionedCall/residual/stage2_out/Relu'];
        expectSameAsLayers(graph, layers, images, {}, nodes, ['stage1_out', 'stage2_out']);
      });

      it('explainTopK equals the LayersModel', () => {
        const before = tf.memory().numTensors;
        const explainers = [new GradCam(graph), new GradCam(layers)];
        const [g, l] = explainers.map((gc) => gc.explainTopK(images, 2));
        g.forEach((r, k) => {
          expect(r.classIndex).toEqual(l[k].classIndex);
          expect(relativeDiff(r.cam, l[k].cam.dataSync())).toBeLessThan(1e-5);
        });
        [...g, ...l, ...explainers].forEach((r) => r.dispose());
        expect(tf.memory().numTensors).toBe(before);
      });

      it('names the node and the candidates for a bad layerName', () => {
        expectGradCamError(() => new GradCam(graph, { layerName: 'stage2_out' }), 'UNKNOWN_LAYER', /stage2_out\/Relu \[\?,16,16,32\]/);
        expectGradCamError(
          () => new GradCam(graph, { layerName: 'StatefulPartitionedCall/residual/avg_pool/Mean' }),
          'NOT_A_FEATURE_MAP',
          /avg_pool\/Mean/,
        );
        expectGradCamError(
          () => new GradCam(graph, { layerName: 'StatefulPartitionedCall/residual/avg_pool/Mean/reduction_indices' }),
          'UNKNOWN_LAYER',
          /not on the way/,
        );
      });
    }
  });
}

/** GradCam on the graph and on the layers model give the same cams, classes and scores. */
function expectSameAsLayers(
  graph: GraphModel<tf.io.IOHandlerSync>,
  layers: LayersModel,
  images: tf.Tensor4D,
  options: ExplainOptions,
  nodes?: string[],
  layerNames?: string[],
  tolerance = 1e-5,
): void {
  const before = tf.memory().numTensors;
  const explainers = [new GradCam(graph, { layerName: nodes }), new GradCam(layers, { layerName: layerNames })];
  const [g, l] = explainers.map((gc) => gc.explain(images, options));
  expect(g.classIndex).toEqual(l.classIndex);
  expect(relativeDiff(g.scores, l.scores)).toBeLessThan(1e-5);
  expect(g.cams.length).toBe(l.cams.length);
  g.cams.forEach((cam, i) => expect(relativeDiff(cam, l.cams[i].dataSync())).toBeLessThan(tolerance));
  expect(relativeDiff(g.heatmap, l.heatmap.dataSync())).toBeLessThan(1e-4);
  [g, l, ...explainers].forEach((x) => x.dispose());
  expect(tf.memory().numTensors).toBe(before);
}
