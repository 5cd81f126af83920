import * as tf from '@tensorflow/tfjs-core';
import { denseCuts, runThroughCuts } from '../../src/model/graph-dense';
import { downstreamOf, skipInputs } from '../../src/model/graph-model';
import { finalActivationOf } from '../../src/model/graph-head-ops';
import { runGraph } from '../../src/model/graph-run';
import { graphFacts } from '../../src/model/graph-targets';
import { GradCam } from '../../src';
import { expectGradCamError } from '../helpers/expect';
import { relativeDiff } from '../helpers/fixtures';
import { type GraphNet, graphReference, loadGraphFixture, tensorOf } from '../helpers/graph-fixtures';
import { AUTO_NODE } from './graph-suite';

/**
 * The dense nodes of a graph's head that the library runs itself (for a gradient without the
 * kernel's gradient, with a cached transposed kernel): which nodes, and that values and
 * gradients equal running the whole head in the graph.
 */
const P = (net: string, rest: string): string => `StatefulPartitionedCall/${net}/${rest}`;

// From the fixtures' model.json: each `_FusedMatMul`, its fused ops, on every path to the scores.
const EXPECTED: Record<GraphNet, Array<[string, 'relu' | 'linear']>> = {
  vgg: [[P('vgg', 'fc1/Relu'), 'relu'], [P('vgg', 'predictions/BiasAdd'), 'linear']],
  residual: [[P('residual', 'predictions/BiasAdd'), 'linear']],
  mobilenetv2: [[P('mobilenetv2', 'predictions/BiasAdd'), 'linear']],
};

// The global average pooling each net's first cut multiplies, run by the library from the target.
const POOLED: Record<GraphNet, string | undefined> = {
  vgg: undefined, // flatten
  residual: P('residual', 'stage2_out/Relu'),
  mobilenetv2: P('mobilenetv2', 'out_relu/Relu6'),
};

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe.each(Object.keys(EXPECTED) as GraphNet[])('dense cuts in the %s graph', (net) => {
  it('cuts the head’s fused dense nodes, and the gradient equals the graph’s own within 1e-6', () => {
    const graph = loadGraphFixture(net);
    const facts = graphFacts(graph);
    const target = AUTO_NODE[net];
    const head = downstreamOf(facts.order, target);
    const skips = skipInputs(facts.order, head, target);
    const images = tensorOf(graphReference(net).images) as tf.Tensor4D;
    const [activations] = runGraph(graph, { [facts.input]: images }, [target]);
    const before = tf.memory().numTensors;
    for (const cache of [true, false, 'auto'] as const) {
      const dense = denseCuts(graph, facts, head, target, skips, cache);
      expect(dense.cuts.map((c) => [c.node, c.weights.activation])).toEqual(EXPECTED[net]);
      expect(dense.cuts[0].pooled).toBe(POOLED[net]);
      // 'auto' caches kernels of up to 2²² weights: all of these small ones.
      expect(dense.cuts.every((c) => (c.weights.transposed !== undefined) === (cache !== false))).toBe(true);
      // The class-3 score of each image, and its gradient, through the cuts and through the graph.
      const score = (run: (a: tf.Tensor) => tf.Tensor) => (a: tf.Tensor): tf.Tensor => tf.sum(tf.slice(run(a), [0, 3], [-1, 1]));
      const viaCuts = score((a) => runThroughCuts(graph, { [target]: a }, {}, [facts.scores], dense.cuts)[0]);
      const viaGraph = score((a) => runGraph(graph, { [target]: a }, [facts.scores])[0]);
      const [ours, theirs] = [tf.grad(viaCuts)(activations), tf.grad(viaGraph)(activations)];
      expect(relativeDiff(ours, theirs.dataSync())).toBeLessThan(1e-6);
      const [s1, s2] = [tf.tidy(() => viaCuts(activations)), tf.tidy(() => viaGraph(activations))];
      expect(s1.dataSync()[0]).toBe(s2.dataSync()[0]); // the same fused forward product
      tf.dispose([ours, theirs, s1, s2]);
      dense.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([activations, images]);
    graph.dispose();
  });
});

describe.each(Object.keys(EXPECTED) as GraphNet[])('the %s graph’s head, run by the library', (net) => {
  it('the final softmax over the fed scores equals the graph’s output, and a GAP + dense head needs no executor run', () => {
    const graph = loadGraphFixture(net);
    const facts = graphFacts(graph);
    const final = finalActivationOf(facts.graph, facts.output, facts.scores);
    expect(final).toEqual({ output: facts.output, scores: facts.scores, op: 'Softmax' });
    const images = tensorOf(graphReference(net).images) as tf.Tensor4D;
    const [expected] = runGraph(graph, { [facts.input]: images }, [facts.output]);
    const target = AUTO_NODE[net];
    const head = downstreamOf(facts.order, target);
    const dense = denseCuts(graph, facts, head, target, skipInputs(facts.order, head, target), true);
    const [activations] = runGraph(graph, { [facts.input]: images }, [target]);
    const execute = jest.spyOn(graph, 'execute');
    const [output] = runThroughCuts(graph, { [target]: activations }, {}, [facts.output], dense.cuts, final);
    expect(Array.from(output.dataSync())).toEqual(Array.from(expected.dataSync())); // the same kernels: equal
    // vgg's head starts with a flatten, which the graph runs; the GAP heads run entirely here.
    expect(execute).toHaveBeenCalledTimes(POOLED[net] === undefined ? 1 : 0);
    execute.mockRestore();
    tf.dispose([expected, activations, output, images]);
    dense.dispose();
    graph.dispose();
  });

  it('GradCam on it runs the graph once per explanation (to the target), and still gives the keras.io maps', () => {
    const graph = loadGraphFixture(net);
    const images = tensorOf(graphReference(net).images) as tf.Tensor4D;
    const gc = new GradCam(graph);
    const execute = jest.spyOn(graph, 'execute');
    const result = gc.explain(images);
    expect(execute).toHaveBeenCalledTimes(POOLED[net] === undefined ? 2 : 1);
    execute.mockRestore();
    const ref = graphReference(net).keras_io;
    expect(result.classIndex).toEqual(ref.map((c) => c.class));
    const cams = tf.unstack(result.cam);
    ref.forEach((c, i) => expect(relativeDiff(cams[i], c.raw.data)).toBeLessThan(1e-4)); // the keras.io recipe
    tf.dispose(cams);
    result.dispose();
    gc.dispose();
    images.dispose();
    graph.dispose();
  });
});

describe('GradCam with several target nodes, one of them unknown', () => {
  it('throws UNKNOWN_LAYER and frees the transposed kernels of the splits made before it', () => {
    const graph = loadGraphFixture('vgg');
    expectGradCamError(() => new GradCam(graph, { layerName: [AUTO_NODE.vgg, 'no/such/node'] }), 'UNKNOWN_LAYER');
    graph.dispose();
  });
});
