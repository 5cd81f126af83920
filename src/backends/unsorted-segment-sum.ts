import * as tf from '@tensorflow/tfjs-core';

/**
 * `UnsortedSegmentSum` for the wasm backend, which lacks it (tfjs 4.22). It is the gradient of
 * `gather` (GatherV2 in converted graphs: embedding-style lookups, channel shuffles, shape
 * juggling), so without it no gradient passes a gather on wasm.
 *
 * `out[segmentIds[i]] += x[i]` along the first axis: `x` `[N,...]`, `segmentIds` int32 `[N]`,
 * out `[numSegments,...]`; ids outside `[0, numSegments)` are dropped, as in TensorFlow. One plain
 * loop over the wasm heap: gradients of lookups are small.
 */

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
}

const unsortedSegmentSum: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, segmentIds } = inputs as unknown as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const wasm = backend as unknown as WasmBackend;
  const rows = x.shape[0] ?? 1;
  const width = rows === 0 ? 0 : tf.util.sizeFromShape(x.shape) / rows;
  const out = wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
  const sums = wasm.typedArrayFromHeap(out);
  sums.fill(0);
  const values = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  for (let i = 0; i < rows; i++) {
    const id = ids[i];
    if (id < 0 || id >= numSegments) continue;
    for (let k = 0; k < width; k++) sums[id * width + k] += values[i * width + k];
  }
  return out;
};

/** The kernel config, for {@link ensureGradientKernels}. */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
