import * as tf from '@tensorflow/tfjs-core';
import { type DenseWeights, type KernelCaching, cachesKernel, denseWithInputGradient } from './dense-head';
import { type GraphModelLike, type GraphNode, dataInputs, dominates, downstreamOf, isFirstOutput, nodeNameOf, skipInputs } from './graph-model';
import { type FinalActivation, applyFinalActivation, globalAveragePool, pooledInputOf } from './graph-head-ops';
import { runGraph } from './graph-run';
import type { GraphFacts } from './graph-targets';

/**
 * Dense products in a GraphModel's head, run by the library instead of the graph so that their
 * gradient is cheap — as `dense-head.ts` does for LayersModels.
 *
 * Through the graph, a `_FusedMatMul` (dense + bias [+ ReLU]) is differentiated by tfjs's fused
 * gradient, which also computes the kernel's gradient (an `[in,out]` outer product: VGG16's fc1
 * is 25088×4096) and multiplies by the transposed kernel, which wasm does several times slower
 * than the forward product; and recording any MatMul on the gradient tape copies its kernel. Run
 * here, the same fused forward product gives the same values, and the backward pass is one
 * product with `W` (with a cached `Wᵀ` where `KernelCaching` says so).
 */

/** A dense node every path of the head goes through, cut out of the graph. */
export interface DenseCut {
  /** The `MatMul` / `_FusedMatMul` node: the rest of the head is fed its output. */
  readonly node: string;
  /** The tensor it multiplies, `[B,in]`. */
  readonly input: string;
  /** When `input` is a global average pooling: the tensor it averages (run here, not by the graph). */
  readonly pooled?: string;
  readonly weights: DenseWeights;
}

/** The dense cuts of a head, and the transposed kernels they hold. */
export interface DenseCuts {
  /** In execution order. */
  readonly cuts: readonly DenseCut[];
  /** Frees the cached `Wᵀ`. */
  dispose(): void;
}

/**
 * The dense nodes between `target` and the scores that can be cut out cleanly: a `MatMul` (or a
 * `_FusedMatMul` with a bias and no activation or a ReLU) of a constant 2-D kernel, not
 * transposed, that every path from the target to the scores goes through, and after which the
 * head reads nothing from before it but the tensors fed to every run (`fed`: those that skip
 * over the target).
 *
 * @param caching Which kernels keep a `Wᵀ` (memory for speed, as `cacheTransposedKernels`).
 */
export function denseCuts(model: GraphModelLike, facts: GraphFacts, head: readonly GraphNode[], target: string, fed: readonly string[], caching: KernelCaching): DenseCuts {
  const scores = nodeNameOf(facts.scores);
  const fedNames = new Set(fed);
  const cuts: DenseCut[] = [];
  for (const node of head) {
    const weights = denseWeightsOf(model, node);
    if (weights === undefined || !dominates(facts.order, target, scores, node.name)) continue;
    const reads = skipInputs(facts.order, downstreamOf(facts.order, node.name), node.name);
    if (!reads.every((name) => fedNames.has(name))) continue;
    const input = dataInputs(node)[0];
    cuts.push({ node: node.name, input, pooled: pooledInputOf(model, facts.graph.nodes[nodeNameOf(input)]), weights });
  }
  const transposed = cuts.map((c) => (cachesKernel(c.weights.kernel, caching) ? tf.keep(tf.transpose(c.weights.kernel)) : undefined));
  return {
    cuts: cuts.map((c, i) => (transposed[i] === undefined ? c : { ...c, weights: { ...c.weights, transposed: transposed[i] } })),
    dispose: () => tf.dispose(transposed.filter((t) => t !== undefined)),
  };
}

/** The weights of a dense node this path can run, or undefined. */
function denseWeightsOf(model: GraphModelLike, node: GraphNode): Omit<DenseWeights, 'transposed'> | undefined {
  if (node.op !== 'MatMul' && node.op !== '_FusedMatMul') return undefined;
  if (node.attrParams.transposeA?.value === true || node.attrParams.transposeB?.value === true) return undefined;
  const inputs = dataInputs(node);
  const constant = (i: number): tf.Tensor | undefined => (inputs[i] === undefined ? undefined : model.weights[nodeNameOf(inputs[i])]?.[0]);
  const kernel = constant(1);
  if (kernel === undefined || kernel.rank !== 2) return undefined;
  if (node.op === 'MatMul') return inputs.length === 2 ? { kernel: kernel as tf.Tensor2D, activation: 'linear' } : undefined;
  const fused = node.attrParams.fusedOps?.value;
  const ops = Array.isArray(fused) ? fused.map((o) => String(o).toLowerCase()) : [];
  const bias = constant(2);
  const activation = ops.length === 1 ? 'linear' : ops[1] === 'relu' ? 'relu' : undefined;
  if (ops[0] !== 'biasadd' || ops.length > 2 || activation === undefined || inputs.length !== 3 || bias === undefined || bias.rank !== 1) return undefined;
  return { kernel: kernel as tf.Tensor2D, bias: bias as tf.Tensor1D, activation };
}

/**
 * `runGraph(model, feeds, outputs)` with the dense cuts run here: the graph runs up to each
 * cut's input (or, for a pooled input, the pooling runs here), the cut's product is computed,
 * and the graph goes on from the cut's node, fed with it and with `fixed` (the tensors fed to
 * every part). With `final`, the output is computed here from fed scores.
 */
export function runThroughCuts(
  model: GraphModelLike,
  feeds: tf.NamedTensorMap,
  fixed: tf.NamedTensorMap,
  outputs: string[],
  cuts: readonly DenseCut[],
  final?: FinalActivation,
): tf.Tensor[] {
  let current = feeds;
  for (const cut of cuts) {
    // The input itself fed (a previous cut's output), or pooled from a fed tensor: no graph run.
    const pooled = cut.pooled === undefined ? undefined : current[nodeNameOf(cut.pooled)];
    const direct = isFirstOutput(cut.input) ? current[nodeNameOf(cut.input)] : undefined;
    const fed = direct ?? (pooled?.rank === 4 ? globalAveragePool(pooled as tf.Tensor4D) : undefined);
    const x = fed ?? runGraph(model, current, [cut.input])[0];
    // Another rank than [B,in] (never seen in converted classifiers): the graph runs the node.
    if (x.rank !== 2) continue;
    current = { ...fixed, [cut.node]: denseWithInputGradient(x as tf.Tensor2D, cut.weights) };
  }
  const last = current;
  const here = outputs.map((name): tf.Tensor | undefined => {
    const scores = final !== undefined && nodeNameOf(name) === nodeNameOf(final.output) ? last[nodeNameOf(final.scores)] : undefined;
    return scores === undefined ? last[nodeNameOf(name)] : applyFinalActivation(final as FinalActivation, scores);
  });
  const toRun = outputs.filter((_, i) => here[i] === undefined);
  const ran = toRun.length === 0 ? [] : runGraph(model, current, toRun);
  return outputs.map((o, i) => here[i] ?? ran[toRun.indexOf(o)]);
}
