/**
 * What went wrong, as a stable string a program can switch on.
 *
 * - `UNKNOWN_LAYER`: no layer has the given name (the message lists the candidates).
 * - `NOT_A_FEATURE_MAP`: the layer's output is not a 4-D `[N,h,w,C]` feature map.
 * - `NO_FEATURE_MAP_LAYER`: `layerName` was omitted and no layer has a 4-D output with a
 *   spatial size above 1×1.
 * - `SHARED_LAYER`: the layer is applied at several places in the model, so "its output" is
 *   ambiguous.
 * - `UNSUPPORTED_MODEL`: the model has several inputs or outputs, a class is asked of a model
 *   whose output is not `[N,K]`, or a method needs a head it does not have (CAM: GAP + Dense).
 * - `BAD_INPUT`: the input is not a tensor of rank 3 or 4, or its size or channel count is not
 *   what the model takes; in `tfjs-gradcam/node`, a file that cannot be read or decoded.
 * - `NON_FINITE_INPUT`: the input holds NaN or ±Infinity.
 * - `NON_FINITE_RESULT`: the model itself produced NaN or ±Infinity (e.g. from its weights).
 * - `BAD_CLASS_INDEX`: a class index is not an integer in `[0, K)`, or a per-image list has the
 *   wrong length.
 * - `SHAPE_MISMATCH`: two tensors that must agree in shape do not.
 * - `BAD_OPTION`: an option is out of range (e.g. `alpha` outside [0, 1]).
 * - `UNKNOWN_COLORMAP`: the colormap name is not one the library has.
 */
export type GradCamErrorCode =
  | 'UNKNOWN_LAYER'
  | 'NOT_A_FEATURE_MAP'
  | 'NO_FEATURE_MAP_LAYER'
  | 'SHARED_LAYER'
  | 'UNSUPPORTED_MODEL'
  | 'BAD_INPUT'
  | 'NON_FINITE_INPUT'
  | 'NON_FINITE_RESULT'
  | 'BAD_CLASS_INDEX'
  | 'SHAPE_MISMATCH'
  | 'BAD_OPTION'
  | 'UNKNOWN_COLORMAP';

/**
 * The one error type the library throws for bad input. `code` says what kind of problem it
 * is; `message` says what was wrong and how to fix it.
 *
 * @example
 * ```ts
 * try { new GradCam(model, { layerName: 'conv9' }); }
 * catch (e) { if (e instanceof GradCamError && e.code === 'UNKNOWN_LAYER') ... }
 * ```
 */
export class GradCamError extends Error {
  /** What kind of problem this is. */
  readonly code: GradCamErrorCode;

  constructor(code: GradCamErrorCode, message: string) {
    super(message);
    this.name = 'GradCamError';
    this.code = code;
    // Keeps `instanceof` working when compiled to ES5-style classes.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Formats a shape the way users write it: `[1,224,224,3]`, with `?` for unknown sizes. */
export function formatShape(shape: ReadonlyArray<number | null | undefined>): string {
  return `[${shape.map((d) => (d == null ? '?' : String(d))).join(',')}]`;
}
