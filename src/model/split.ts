import * as tf from '@tensorflow/tfjs-core';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';
import { selectRows } from '../core/rows';
import { GradCamError, formatShape } from '../errors';
import {
  type ApplyLayer,
  type Layer,
  type LayerCall,
  type Values,
  applyLayer,
  callsInOrder,
  isContainer,
  runCall,
  valueOf,
} from './graph';
import { type KernelCache, applyDense, isFastDense } from './dense-head';
import type { TokenGrid } from './reshape';
import { applyForScores, finishScores } from './score';

/**
 * A model cut at the target layer, at one level of nesting. The body (every call that does not
 * depend on the target) runs once, outside any gradient tape; the head (the calls downstream
 * of it) is what gets differentiated. Tensors that skip over the target (residual branches) are
 * computed by the body and kept for the head.
 */
export interface SplitPlan {
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** Calls independent of the target, in execution order. */
  readonly bodyCalls: readonly LayerCall[];
  /** The target layer's call, or the call of the nested model that contains it. */
  readonly splitCall: LayerCall;
  /** Calls downstream of `splitCall`, in execution order. */
  readonly headCalls: readonly LayerCall[];
  /** Body tensors the head reads (skip connections, side branches). */
  readonly keepForHead: ReadonlySet<SymbolicTensor>;
  /** Set when `splitCall` is a nested model: the plan inside it. */
  readonly inner?: SplitPlan;
  /** Set when the target's activations are seen as a grid (`reshapeTransform`), on the innermost plan. */
  readonly grid?: TokenGrid;
}

/** The call of the target layer itself, inside nested models. */
export function targetCall(plan: SplitPlan): LayerCall {
  return plan.inner === undefined ? plan.splitCall : targetCall(plan.inner);
}

/** `plan` with the target's activations seen through `grid`. */
export function withGrid(plan: SplitPlan, grid: TokenGrid): SplitPlan {
  return plan.inner === undefined ? { ...plan, grid } : { ...plan, inner: withGrid(plan.inner, grid) };
}

/**
 * Plans the cut of the graph `inputs → outputs` at `target`, looking into nested models.
 * Returns undefined when the target is not in this graph. `anyShape`: the target's output need
 * not be a feature map (a reshape transform makes it one).
 */
export function planSplit(
  inputs: readonly SymbolicTensor[],
  outputs: readonly SymbolicTensor[],
  target: Layer,
  targetPath: string,
  anyShape = false,
): SplitPlan | undefined {
  const calls = callsInOrder(outputs);
  const found: Array<{ call: LayerCall; inner?: SplitPlan }> = [];
  for (const call of calls) {
    if (call.layer === target) {
      found.push({ call });
    } else if (isContainer(call.layer)) {
      const inner = planSplit(call.layer.inputs, call.layer.outputs, target, targetPath, anyShape);
      if (inner !== undefined) found.push({ call, inner });
    }
  }
  if (found.length === 0) return undefined;
  if (found.length > 1) {
    throw new GradCamError(
      'SHARED_LAYER',
      `Layer "${targetPath}" is applied at ${found.length} places in the model, so its output is ambiguous. ` +
        'Choose a layer that is applied once.',
    );
  }
  const { call: splitCall, inner } = found[0];
  if (inner === undefined && !anyShape) assertFeatureMap(splitCall, targetPath);

  const fromTarget = new Set<SymbolicTensor>(splitCall.outputs);
  const bodyCalls: LayerCall[] = [];
  const headCalls: LayerCall[] = [];
  for (const call of calls) {
    if (call === splitCall) continue;
    if (call.inputs.some((s) => fromTarget.has(s))) {
      headCalls.push(call);
      call.outputs.forEach((s) => fromTarget.add(s));
    } else {
      bodyCalls.push(call);
    }
  }
  const keepForHead = new Set<SymbolicTensor>();
  for (const call of headCalls) for (const s of call.inputs) if (!fromTarget.has(s)) keepForHead.add(s);
  for (const s of outputs) if (!fromTarget.has(s)) keepForHead.add(s);
  return { inputs, outputs, bodyCalls, splitCall, headCalls, keepForHead, inner };
}

function assertFeatureMap(call: LayerCall, targetPath: string): void {
  const shape = call.outputs.length === 1 ? call.outputs[0].shape : undefined;
  if (shape === undefined || shape.length !== 4) {
    const got = shape === undefined ? `${call.outputs.length} outputs` : `output shape ${formatShape(shape)}`;
    throw new GradCamError(
      'NOT_A_FEATURE_MAP',
      `Layer "${targetPath}" has ${got}; Grad-CAM needs a layer whose output is one 4-D feature map ` +
        '[N,h,w,C], such as a convolution or its activation. Omit layerName to pick the last one, or give ' +
        'reshapeTransform (e.g. tokensToGrid()) to see token activations [N,T,C] as a grid.',
    );
  }
}

/** What the body pass leaves for the head: the target's activations and the kept tensors. */
export interface BodyResult {
  readonly activations: tf.Tensor4D;
  readonly kept: Values;
}

/**
 * Runs the body once: every call independent of the target, then the target itself. Tensors are
 * freed as soon as no later body call needs them; only the activations and `keepForHead`
 * survive.
 */
export function runBody(plan: SplitPlan, feeds: readonly tf.Tensor[]): BodyResult {
  const keptKeys: SymbolicTensor[] = [];
  const [activations, ...keptValues] = tf.tidy(() => {
    const kept: Values = new Map();
    const activations = runBodyLevel(plan, feeds, kept);
    for (const key of kept.keys()) keptKeys.push(key);
    return [activations, ...kept.values()];
  });
  return { activations: activations as tf.Tensor4D, kept: new Map(keptKeys.map((k, i) => [k, keptValues[i]] as const)) };
}

function runBodyLevel(plan: SplitPlan, feeds: readonly tf.Tensor[], kept: Values): tf.Tensor {
  const values: Values = new Map(plan.inputs.map((s, i) => [s, feeds[i]] as const));
  const fed = new Set(plan.inputs);
  // Last body step that reads each tensor; the split call counts as one more step.
  const lastUse = new Map<SymbolicTensor, number>();
  const steps = [...plan.bodyCalls, plan.splitCall];
  steps.forEach((call, i) => call.inputs.forEach((s) => lastUse.set(s, i)));
  const release = (i: number): void => {
    for (const s of steps[i].inputs) {
      if (lastUse.get(s) === i && !fed.has(s) && !plan.keepForHead.has(s)) values.get(s)?.dispose();
    }
  };

  plan.bodyCalls.forEach((call, i) => {
    runCall(call, values, applyLayer);
    release(i);
  });
  const splitInputs = plan.splitCall.inputs.map((s) => valueOf(values, s));
  const activations =
    plan.inner === undefined ? applyLayer(plan.splitCall.layer, splitInputs)[0] : runBodyLevel(plan.inner, splitInputs, kept);
  release(plan.bodyCalls.length);
  // Fed tensors belong to the caller; the head gets its own handle.
  for (const s of plan.keepForHead) kept.set(s, fed.has(s) ? tf.clone(valueOf(values, s)) : valueOf(values, s));
  return activations;
}

/**
 * Runs the head: from (possibly substituted) activations to the graph's outputs, reusing the
 * kept body tensors. The call that produces `scoresOf` yields pre-softmax scores.
 */
export function runHead(
  plan: SplitPlan,
  kept: Values,
  activations: tf.Tensor,
  scoresOf?: SymbolicTensor,
  kernels?: KernelCache,
): tf.Tensor[] {
  const values: Values = new Map(kept);
  const { splitCall, inner } = plan;
  if (inner === undefined) {
    const target = splitCall.outputs[0];
    // With a grid, `kept` holds the layer's own activations: rows the grid leaves out come from them.
    values.set(target, plan.grid === undefined ? activations : plan.grid.fromGrid(activations as tf.Tensor4D, valueOf(kept, target)));
  } else {
    const at = scoresOf === undefined ? -1 : splitCall.outputs.indexOf(scoresOf);
    const innerOut = runHead(inner, kept, activations, at >= 0 ? inner.outputs[at] : undefined, kernels);
    splitCall.outputs.forEach((s, i) => values.set(s, innerOut[i]));
  }
  for (const call of plan.headCalls) {
    runCall(call, values, headApply(scoresOf !== undefined && call.outputs.includes(scoresOf), kernels));
  }
  return plan.outputs.map((s) => valueOf(values, s));
}

/** How the head runs a layer: Dense layers through the cheap-gradient path, the rest as usual. */
function headApply(forScores: boolean, kernels: KernelCache | undefined): ApplyLayer {
  return (layer, inputs) => {
    if (isFastDense(layer, inputs, forScores)) {
      return [applyDense(layer, inputs[0] as tf.Tensor2D, forScores, kernels?.transposed(layer))];
    }
    return forScores ? applyForScores(layer, inputs) : applyLayer(layer, inputs);
  };
}

/** Every layer the head of `plan` runs, nested plans included. */
export function headLayers(plan: SplitPlan): Layer[] {
  return [...plan.headCalls.map((c) => c.layer), ...(plan.inner === undefined ? [] : headLayers(plan.inner))];
}

/** Which rows of the body pass a head's activations belong to, and what it outputs. */
export interface HeadOptions {
  /**
   * `rows[i]` is the body image that row i of the activations comes from; omitted, row i is
   * image i. Lets a head run on copies of images (several classes or ablations at once).
   */
  readonly rows?: readonly number[];
  /** `'logits'` (default): scores before the final softmax; `'model'`: the model's own output. */
  readonly output?: 'logits' | 'model';
}

/** What a head yields for activations `[B,h,w,C]`. */
export interface HeadOutputs {
  /** What the head scores: the logits, or the model's own output with `output: 'model'`. */
  readonly scores: tf.Tensor;
  /** The explained output as `predict` gives it (final softmax or sigmoid included). */
  readonly output: tf.Tensor;
}

/** A head over the kept body tensors: activations `[B,h,w,C]` → the model's output for them. */
export function scoreHead(
  plan: SplitPlan,
  kept: Values,
  options: HeadOptions = {},
  kernels?: KernelCache,
): (a: tf.Tensor4D) => tf.Tensor {
  const run = runRows(plan, kept, options, kernels);
  // tf.tidy: the head's intermediate tensors must not outlive a call made outside a tidy.
  return (a) => tf.tidy(() => run(a));
}

/**
 * A head that yields its scores and, from the same pass, the model's output: the final
 * activation the scores leave out is applied to them (one more op, no second head pass).
 */
export function outputsHead(
  plan: SplitPlan,
  kept: Values,
  options: HeadOptions = {},
  kernels?: KernelCache,
): (a: tf.Tensor4D) => HeadOutputs {
  const run = runRows(plan, kept, options, kernels);
  const scored = options.output === 'model' ? undefined : scoredOutput(plan, plan.outputs[0]);
  return (a) => {
    const [scores, output] = tf.tidy(() => {
      const s = run(a);
      return [s, scored === undefined ? tf.clone(s) : finishScores(scored, s)];
    });
    return { scores, output };
  };
}

/** The head's own run on the rows of `options`, not tidied. */
function runRows(plan: SplitPlan, kept: Values, options: HeadOptions, kernels: KernelCache | undefined): (a: tf.Tensor4D) => tf.Tensor {
  const { rows, output = 'logits' } = options;
  const scoresOf = output === 'logits' ? plan.outputs[0] : undefined;
  if (rows === undefined || kept.size === 0) return (a) => runHead(plan, kept, a, scoresOf, kernels)[0];
  return (a) => {
    const copies: Values = new Map([...kept].map(([s, v]) => [s, selectRows(v, rows)] as const));
    return runHead(plan, copies, a, scoresOf, kernels)[0];
  };
}

/** The symbolic tensor whose call {@link runHead} scores for `scoresOf`, nested plans followed. */
function scoredOutput(plan: SplitPlan, scoresOf: SymbolicTensor): SymbolicTensor {
  const at = plan.inner === undefined ? -1 : plan.splitCall.outputs.indexOf(scoresOf);
  return plan.inner !== undefined && at >= 0 ? scoredOutput(plan.inner, plan.inner.outputs[at]) : scoresOf;
}
