import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError } from '../../errors';
import { layerArgs } from './util';

/** An op's constant arguments, from the layer's `call_kwargs` (see the `tfOpLambdaCalls` repair). */
type Kwargs = Record<string, unknown>;
type Op = (x: tf.Tensor, kwargs: Kwargs) => tf.Tensor;

/** A number, or a (nested, rectangular) array of numbers: a constant tensor Keras 2 wrote as a list. */
function isNumeric(v: unknown): v is tf.TensorLike {
  return typeof v === 'number' || (Array.isArray(v) && v.length > 0 && v.every(isNumeric));
}

function operand(kwargs: Kwargs, key: string, fn: string): tf.Tensor {
  const v = kwargs[key];
  if (v instanceof tf.Tensor) return v;
  // E.g. EfficientNet's ImageNet stem: `x * [[[[a, b, c]]]]`, one factor per channel, broadcast.
  if (isNumeric(v)) return tf.tensor(v, undefined, 'float32');
  throw new GradCamError('UNSUPPORTED_MODEL', `TFOpLambda "${fn}": its operand "${key}" is not a constant number (got ${JSON.stringify(v)}).`);
}

/**
 * The TensorFlow ops that Keras 2 applications leave in a model as `TFOpLambda` layers
 * (MobileNetV3's hard-sigmoid `relu6(x + 3) * (1/6)`), with a tensor first argument and a
 * constant second one. Keys are the op's name without underscores, lower case, since tfjs
 * camel-cases config strings (`__operators__.add` arrives as `Operators.add`).
 */
const OPS: Record<string, Op> = {
  'operators.add': (x, k) => tf.add(x, operand(k, 'y', 'add')),
  'math.add': (x, k) => tf.add(x, operand(k, 'y', 'add')),
  'operators.sub': (x, k) => tf.sub(x, operand(k, 'y', 'subtract')),
  'math.subtract': (x, k) => tf.sub(x, operand(k, 'y', 'subtract')),
  'math.multiply': (x, k) => tf.mul(x, operand(k, 'y', 'multiply')),
  'operators.mul': (x, k) => tf.mul(x, operand(k, 'y', 'multiply')),
  'math.truediv': (x, k) => tf.div(x, operand(k, 'y', 'truediv')),
  'operators.truediv': (x, k) => tf.div(x, operand(k, 'y', 'truediv')),
  'math.divide': (x, k) => tf.div(x, operand(k, 'y', 'divide')),
  'nn.relu': (x) => tf.relu(x),
  'nn.relu6': (x) => tf.relu6(x),
  'math.sigmoid': (x) => tf.sigmoid(x),
  'nn.silu': (x) => tf.mul(x, tf.sigmoid(x)),
  'nn.swish': (x) => tf.mul(x, tf.sigmoid(x)),
};

/** `__operators__.add` / `Operators.add` / `tf.math.multiply` → the {@link OPS} key. */
export function opKey(fn: string): string {
  return fn.replace(/^tf\./, '').replace(/_/g, '').toLowerCase();
}

/**
 * Keras 2's `TFOpLambda`: one TensorFlow op applied to the layer's first input, its other
 * operands being constants (`callKwargs`) or further inputs (named by `tensorKwargs`, in input
 * order), for the ops listed above. Any other op fails at load time with its name.
 */
export class TFOpLambda extends tfl.layers.Layer {
  static readonly className = 'TFOpLambda';
  private readonly fn: string;
  private readonly op: Op;
  private readonly callKwargs: Kwargs;
  private readonly tensorKwargs: string[];

  constructor(args: Record<string, unknown>) {
    super(layerArgs(args));
    this.fn = String(args.function ?? '');
    this.callKwargs = (args.callKwargs as Kwargs | undefined) ?? {};
    this.tensorKwargs = (args.tensorKwargs as string[] | undefined) ?? [];
    const op = OPS[opKey(this.fn)];
    if (op === undefined) {
      throw new GradCamError(
        'UNSUPPORTED_MODEL',
        `TFOpLambda layer "${this.name}" applies the TensorFlow op "${this.fn}", which tfjs-gradcam cannot run. ` +
          `Supported: ${Object.keys(OPS).join(', ')}. Rebuild the model with a Keras layer instead of the raw op.`,
      );
    }
    this.op = op;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    if (!Array.isArray(inputShape[0])) return inputShape as tfl.Shape;
    // Elementwise ops: the broadcast of the input shapes.
    const shapes = inputShape as tfl.Shape[];
    const rank = Math.max(...shapes.map((s) => s.length));
    return Array.from({ length: rank }, (_, i) => {
      const dims = shapes.map((s) => s[s.length - rank + i]).filter((d) => d !== undefined && d !== 1);
      return dims.length === 0 ? 1 : dims.includes(null) ? null : (dims[0] as number);
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const xs = Array.isArray(inputs) ? inputs : [inputs];
      const kwargs: Kwargs = { ...this.callKwargs };
      this.tensorKwargs.forEach((key, i) => (kwargs[key] = xs[i + 1]));
      return this.op(xs[0], kwargs);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), function: this.fn, callKwargs: this.callKwargs as tf.serialization.ConfigDict, tensorKwargs: this.tensorKwargs };
  }
}
