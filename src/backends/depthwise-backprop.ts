import * as tf from '@tensorflow/tfjs-core';

/**
 * The two depthwise-convolution gradient kernels tfjs-backend-wasm 4.x lacks,
 * `DepthwiseConv2dNativeBackpropInput` and `DepthwiseConv2dNativeBackpropFilter`. A depthwise
 * convolution after the target layer (MobileNet-style heads) needs the first; a fused depthwise
 * convolution (linear activation) asks for both even when only the input gradient is wanted.
 *
 * A depthwise convolution is cheap (k·k multiply-adds per output value), so both are plain
 * loops over the wasm heap — the forward pass's indexing, run backwards.
 */

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
}

/**
 * Visits every (input element, filter element, output element) triple of a depthwise
 * convolution: `visit(inputIndex, filterIndex, outputIndex)`, flat NHWC / [kh,kw,C,m] indices.
 */
function forEachTap(info: tf.backend_util.Conv2DInfo, visit: (x: number, f: number, y: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const multiplier = outChannels / inChannels;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const outBase = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let fy = 0; fy < filterHeight; fy++) {
          const iy = oy * strideHeight - padInfo.top + fy * dilationHeight;
          if (iy < 0 || iy >= inHeight) continue;
          for (let fx = 0; fx < filterWidth; fx++) {
            const ix = ox * strideWidth - padInfo.left + fx * dilationWidth;
            if (ix < 0 || ix >= inWidth) continue;
            const inBase = ((b * inHeight + iy) * inWidth + ix) * inChannels;
            const filterBase = (fy * filterWidth + fx) * inChannels * multiplier;
            for (let c = 0; c < inChannels; c++) {
              for (let q = 0; q < multiplier; q++) visit(inBase + c, filterBase + c * multiplier + q, outBase + c * multiplier + q);
            }
          }
        }
      }
    }
  }
}

function convInfo(
  inputShape: number[],
  filterShape: number[],
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs | tf.DepthwiseConv2dNativeBackpropFilterAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true, // depthwise
  );
}

const backpropInput: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy, filter } = inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const wasm = backend as unknown as WasmBackend;
  const info = convInfo(a.inputShape, filter.shape, a);
  const dyValues = wasm.typedArrayFromHeap(dy);
  const f = wasm.typedArrayFromHeap(filter);
  const out = wasm.makeOutput(a.inputShape, 'float32');
  const dx = wasm.typedArrayFromHeap(out);
  dx.fill(0);
  forEachTap(info, (x, k, y) => {
    dx[x] += dyValues[y] * f[k];
  });
  return out;
};

const backpropFilter: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const wasm = backend as unknown as WasmBackend;
  const info = convInfo(x.shape, a.filterShape, a);
  const xValues = wasm.typedArrayFromHeap(x);
  const dyValues = wasm.typedArrayFromHeap(dy);
  const out = wasm.makeOutput(a.filterShape, 'float32');
  const dw = wasm.typedArrayFromHeap(out);
  dw.fill(0);
  forEachTap(info, (i, k, y) => {
    dw[k] += xValues[i] * dyValues[y];
  });
  return out;
};

/** The kernel configs, for {@link ensureGradientKernels}. */
export const depthwiseBackpropConfigs: readonly tf.KernelConfig[] = [
  { kernelName: tf.DepthwiseConv2dNativeBackpropInput, backendName: 'wasm', kernelFunc: backpropInput },
  { kernelName: tf.DepthwiseConv2dNativeBackpropFilter, backendName: 'wasm', kernelFunc: backpropFilter },
];
