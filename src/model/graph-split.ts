import * as tf from '@tensorflow/tfjs-core';
import { selectRows } from '../core/rows';
import { GradCamError } from '../errors';
import { kernelCachingOf } from './dense-head';
import { featurePass } from './feature-pass';
import { type GraphModelLike, type GraphNode, dataInputs, downstreamOf, nodeNameOf, skipInputs } from './graph-model';
import { type DenseCut, denseCuts, runThroughCuts } from './graph-dense';
import { type FinalActivation, finalActivationOf } from './graph-head-ops';
import { runGraph } from './graph-run';
import { type GraphFacts, graphFacts, resolveTargetNode } from './graph-targets';
import { toInputBatch } from './input';
import type { OtherInputs } from './feeds';
import type { FeaturePass, ModelSplit } from './split-model';

/**
 * Cuts a tfjs-converter GraphModel at a target node: the body runs the graph up to the node (and
 * the tensors that skip over it), the head feeds the node — `model.execute({ [node]: A, …skips },
 * scores)` — so that only the rest of the graph runs and is differentiated. The scores are the
 * input of the model's final Softmax when it has one. The model is only read, never changed.
 *
 * @param nodeName the target node, as the graph names it
 *   (`StatefulPartitionedCall/model/block5_conv3/Relu`). Omitted: the last node whose output is a
 *   feature map with a spatial size above 1×1 and that every path to the output goes through.
 * @throws GradCamError `UNSUPPORTED_MODEL`, `UNKNOWN_LAYER`, `NOT_A_FEATURE_MAP` or
 *   `NO_FEATURE_MAP_LAYER`.
 */
export function splitGraphModel(model: GraphModelLike, nodeName?: string, options: GraphSplitOptions = {}): ModelSplit {
  const caching = kernelCachingOf(options.cacheTransposedKernels, false);
  const facts = graphFacts(model);
  const target = resolveTargetNode(facts, nodeName);
  const head = downstreamOf(facts.order, target);
  const skips = skipInputs(facts.order, head, target);
  const dense = denseCuts(model, facts, head, target, skips, caching);
  const final = finalActivationOf(facts.graph, facts.output, facts.scores);
  return {
    layerName: target,
    inputShape: facts.inputShape,
    outputShape: facts.outputShape,
    numClasses: facts.numClasses,
    forward: (input, otherInputs) => forward(model, facts, { target, skips, cuts: dense.cuts, final }, input, otherInputs),
    gapClassifierKernel: () => gapClassifierKernel(model, facts, head, target),
    dispose: () => dense.dispose(),
  };
}

/** Options of {@link splitGraphModel}. */
export interface GraphSplitOptions {
  /** Keep the transposed kernels of the head's dense nodes (faster gradients; memory), as `SplitOptions.cacheTransposedKernels`. */
  readonly cacheTransposedKernels?: boolean | 'auto';
}

/** Where a split cuts: the target node, the tensors that skip over it, the head's dense cuts. */
interface Cut {
  readonly target: string;
  readonly skips: readonly string[];
  readonly cuts: readonly DenseCut[];
  /** The output as a softmax/sigmoid of the scores, computed here (no executor run for it). */
  readonly final?: FinalActivation;
}

function forward(model: GraphModelLike, facts: GraphFacts, cut: Cut, input: tf.Tensor, otherInputs?: OtherInputs): FeaturePass {
  const { target, skips } = cut;
  if (otherInputs !== undefined && Object.keys(otherInputs).length > 0) {
    throw new GradCamError('BAD_OPTION', 'otherInputs: this GraphModel has one input, the image.');
  }
  const batch = toInputBatch(input, facts.inputShape);
  const kept = new Map<string, tf.Tensor>();
  let activations: tf.Tensor4D;
  try {
    // The input itself may skip over the target: the head gets its own copy of it.
    const computed = skips.filter((s) => nodeNameOf(s) !== facts.input);
    const [a, ...values] = runGraph(model, { [facts.input]: batch }, [target, ...computed]);
    activations = a as tf.Tensor4D;
    computed.forEach((name, i) => kept.set(name, values[i]));
    for (const s of skips) if (nodeNameOf(s) === facts.input) kept.set(s, tf.clone(batch));
  } finally {
    batch.dispose();
  }
  // Runs the graph from the target node (and the kept tensors, row-selected) to `outputs`.
  const runHead = (rows: readonly number[] | undefined, outputs: string[]) => (a: tf.Tensor4D) =>
    tf.tidy(() => {
      const fixed: tf.NamedTensorMap = {};
      for (const [name, t] of kept) fixed[name] = rows === undefined ? t : selectRows(t, rows);
      return runThroughCuts(model, { ...fixed, [target]: a }, fixed, outputs, cut.cuts, cut.final);
    });
  return featurePass(activations, kept, {
    headFor: ({ rows, output = 'logits' }) => {
      const run = runHead(rows, [output === 'logits' ? facts.scores : facts.output]);
      return (a) => run(a)[0];
    },
    headWithOutput: ({ rows, output = 'logits' }) => {
      if (output === 'model' || facts.scores === facts.output) {
        const run = runHead(rows, [facts.output]);
        return (a) => {
          const [out] = run(a);
          return { scores: out, output: tf.clone(out) };
        };
      }
      const run = runHead(rows, [facts.scores, facts.output]);
      return (a) => {
        const [scores, out] = run(a);
        return { scores, output: out };
      };
    },
    forwardVariants: (_image, variants) => forward(model, facts, cut, variants),
  });
}

/**
 * The class weights `[C,K]` when the head is exactly global average pooling (`Mean` over the
 * spatial axes) and one dense layer (`MatMul`, with or without a fused or separate bias) before
 * the softmax. The live weight tensor: never disposed.
 */
function gapClassifierKernel(model: GraphModelLike, facts: GraphFacts, head: readonly GraphNode[], target: string): tf.Tensor2D | undefined {
  const scoreNode = nodeNameOf(facts.scores);
  const upToScores = head.slice(0, head.findIndex((n) => n.name === scoreNode) + 1).filter((n) => n.op !== 'Identity');
  const [mean, matMul, bias] = upToScores;
  if (upToScores.length < 2 || upToScores.length > 3 || mean.op !== 'Mean' || !/^(_Fused)?MatMul$/.test(matMul.op)) return undefined;
  if (bias !== undefined && !/^(BiasAdd|Add|AddV2)$/.test(bias.op)) return undefined;
  const [meanInput, axes] = dataInputs(mean);
  const [matMulInput, kernelName] = dataInputs(matMul);
  if (nodeNameOf(meanInput) !== target || nodeNameOf(matMulInput) !== mean.name) return undefined;
  const axesValue = model.weights[nodeNameOf(axes ?? '')]?.[0];
  const kernel = model.weights[nodeNameOf(kernelName ?? '')]?.[0];
  const spatial = axesValue !== undefined && [...axesValue.dataSync()].sort().join() === '1,2';
  const transposed = matMul.attrParams.transposeA?.value === true || matMul.attrParams.transposeB?.value === true;
  const keepDims = mean.attrParams.keepDims?.value === true;
  if (!spatial || transposed || keepDims || kernel === undefined || kernel.rank !== 2) return undefined;
  return kernel as tf.Tensor2D;
}
