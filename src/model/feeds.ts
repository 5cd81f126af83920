import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { selectRows } from '../core/rows';
import { GradCamError, formatShape } from '../errors';

/**
 * Which of a model's inputs is the image, and which of its outputs is explained. A model with
 * several of either names the one it means; the other inputs are fed as they are, held fixed.
 */

/** The model's inputs other than the image, by input name: `[N,...]`, or `[1,...]` shared by the batch. */
export type OtherInputs = Readonly<Record<string, tf.Tensor>>;

/** The image input and the explained output of a model, by position. */
export interface ModelPorts {
  /** Position of the image input in `model.inputs`. */
  readonly imageInput: number;
  /** The explained output (one of `model.outputs`). */
  readonly output: SymbolicTensor;
  /** The other inputs' names, in `model.inputs` order. */
  readonly otherInputNames: readonly string[];
}

/**
 * Resolves `inputName` and `outputName` against the model. Each may be omitted when the model
 * has only one input (output).
 *
 * @throws GradCamError `BAD_OPTION` for a missing or unknown name (the message lists the model's).
 */
export function resolvePorts(model: LayersModel, inputName?: string, outputName?: string): ModelPorts {
  // The layer names, as `model.inputNames` / `outputNames` (which a Sequential leaves empty).
  const inputNames = model.inputs.map((s) => s.sourceLayer.name);
  const imageInput = pick('input', inputNames, inputName);
  const output = model.outputs[pick('output', model.outputs.map((s) => s.sourceLayer.name), outputName)];
  return { imageInput, output, otherInputNames: inputNames.filter((_, i) => i !== imageInput) };
}

function pick(kind: 'input' | 'output', names: readonly string[], name: string | undefined): number {
  const option = `${kind}Name`;
  const list = names.map((n) => `"${n}"`).join(', ');
  if (name === undefined) {
    if (names.length === 1) return 0;
    throw new GradCamError(
      'BAD_OPTION',
      `the model has ${names.length} ${kind}s (${list}); say which one ${kind === 'input' ? 'takes the image' : 'to explain'} ` +
        `with the ${option} option, e.g. new GradCam(model, { ${option}: '${names[0]}' }).`,
    );
  }
  const at = names.indexOf(name);
  if (at < 0) throw new GradCamError('BAD_OPTION', `${option} "${name}" is not one of the model's ${kind}s: ${list}.`);
  return at;
}

/**
 * The model's inputs other than the image, checked, each with `n` rows (a batch of 1 repeated),
 * in `ports.otherInputNames` order. The caller owns (and disposes) the returned tensors.
 *
 * @throws GradCamError `BAD_INPUT` for a missing, non-tensor or misshapen input, `BAD_OPTION` for
 *   a name the model does not have.
 */
export function otherInputBatches(
  inputs: readonly SymbolicTensor[],
  ports: ModelPorts,
  otherInputs: OtherInputs | undefined,
  n: number,
): tf.Tensor[] {
  const given = otherInputs ?? {};
  if (typeof given !== 'object' || given === null || given instanceof tf.Tensor) {
    throw new GradCamError('BAD_OPTION', 'otherInputs must be an object { [inputName]: tensor }.');
  }
  const unknown = Object.keys(given).find((k) => !ports.otherInputNames.includes(k));
  if (unknown !== undefined) {
    const others = ports.otherInputNames.length === 0 ? 'none' : ports.otherInputNames.map((name) => `"${name}"`).join(', ');
    throw new GradCamError('BAD_OPTION', `otherInputs names "${unknown}", which is not another input of the model (those are: ${others}).`);
  }
  const symbolic = inputs.filter((_, i) => i !== ports.imageInput);
  const checked = ports.otherInputNames.map((name, i) => checkOther(symbolic[i], name, given, n));
  return checked.map((t) => batchOf(t, n));
}

/** The feeds of every model input, in order: the images at the image input's place, then the others. */
export function withImages(ports: ModelPorts, images: tf.Tensor, others: readonly tf.Tensor[]): tf.Tensor[] {
  return [...others.slice(0, ports.imageInput), images, ...others.slice(ports.imageInput)];
}

function checkOther(input: SymbolicTensor, name: string, given: OtherInputs, n: number): tf.Tensor {
  const value = given[name] as tf.Tensor | undefined;
  if (value === undefined) {
    throw new GradCamError(
      'BAD_INPUT',
      `the model's input "${name}" ${formatShape(input.shape)} is missing: pass it as explain(image, { otherInputs: { ${name}: tensor } }).`,
    );
  }
  if (!(value instanceof tf.Tensor)) throw new GradCamError('BAD_INPUT', `otherInputs.${name} must be a tf.Tensor.`);
  const fits =
    value.rank === input.shape.length &&
    (value.shape[0] === n || value.shape[0] === 1) &&
    input.shape.every((d, i) => i === 0 || d == null || d === value.shape[i]);
  if (!fits) {
    throw new GradCamError(
      'BAD_INPUT',
      `otherInputs.${name} has shape ${formatShape(value.shape)}; the model's input "${name}" takes ` +
        `${formatShape(input.shape)}, with a batch of ${n} (one per image) or 1 (shared by all).`,
    );
  }
  return value;
}

/** `t` with N rows: itself (a new handle) or its one row repeated. */
function batchOf(t: tf.Tensor, n: number): tf.Tensor {
  return t.shape[0] === n ? tf.clone(t) : selectRows(t, new Array<number>(n).fill(0));
}
