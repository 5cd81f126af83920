import * as tf from '@tensorflow/tfjs-core';

/**
 * `Conv2DBackpropFilter` for the wasm backend, which lacks it (tfjs 4.22). tfjs needs it for the
 * gradient of a convolution whose activation is fused (linear or relu6) even when only the input
 * gradient is wanted, and for any training.
 *
 * Built from kernels wasm does have, so it runs at wasm speed: a convolution with a one-hot
 * "identity" filter extracts the input patch under every output position (im2col), with the
 * forward pass's strides and padding; the filter gradient is then one matrix product,
 * `dW = patchesᵀ · dy`, reshaped to `[kh,kw,Cin,Cout]`.
 */

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
  disposeData(dataId: object): boolean;
}

/** Runs another registered wasm kernel on TensorInfos. */
function run(name: string, inputs: Record<string, tf.TensorInfo>, attrs: object, backend: WasmBackend): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`tfjs-gradcam: the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, attrs, backend } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

const conv2dBackpropFilter: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`tfjs-gradcam: Conv2DBackpropFilter on wasm supports NHWC only, got ${dataFormat}`);
  }
  const wasm = backend as unknown as WasmBackend;
  const [kh, kw, cin, cout] = filterShape;
  const patchSize = kh * kw * cin;

  // One-hot filter: output channel (a·kw + b)·cin + c copies input channel c at offset (a, b).
  const identity = wasm.makeOutput([kh, kw, cin, patchSize], 'float32');
  const eye = wasm.typedArrayFromHeap(identity);
  eye.fill(0);
  for (let p = 0; p < patchSize; p++) eye[p * patchSize + p] = 1;

  const patches = run('Conv2D', { x, filter: identity }, { strides, pad, dimRoundingMode, dataFormat: 'NHWC', dilations: 1 }, wasm);
  const rows = patches.shape[0] * patches.shape[1] * patches.shape[2];
  const patchMatrix = run('Reshape', { x: patches }, { shape: [1, rows, patchSize] }, wasm);
  const dyMatrix = run('Reshape', { x: dy }, { shape: [1, rows, cout] }, wasm);
  const product = run('BatchMatMul', { a: patchMatrix, b: dyMatrix }, { transposeA: true, transposeB: false }, wasm);
  const dw = run('Reshape', { x: product }, { shape: [kh, kw, cin, cout] }, wasm);
  for (const t of [identity, patches, patchMatrix, dyMatrix, product]) wasm.disposeData(t.dataId);
  return dw;
};

/** The kernel config, for {@link ensureGradientKernels}. */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
