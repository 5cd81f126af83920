import * as tf from '@tensorflow/tfjs-core';

/**
 * Table lookup `table[index]` for the colour maps.
 *
 * `tf.gather` would do, but the wasm and cpu backends check every index in JavaScript before
 * gathering (about 4 ms for a 224×224 heatmap on wasm — as much as a small model's head). This
 * kernel does the same lookup in one plain loop on those two backends; the others use
 * `tf.gather`. Indices are clamped to the table.
 */
const KERNEL = 'TfjsGradcamTableLookup';

/** Reads and writes a backend's tensor memory: the parts of the wasm and cpu backends this needs. */
interface MemoryBackend {
  read(t: tf.TensorInfo): ArrayLike<number>;
  output(shape: number[], values: Float32Array): tf.TensorInfo;
}

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
}

interface CpuBackend {
  data: { get(dataId: object): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

const ACCESS: Record<string, (backend: unknown) => MemoryBackend> = {
  wasm: (backend) => {
    const b = backend as WasmBackend;
    return {
      read: (t) => b.typedArrayFromHeap(t),
      output: (shape, values) => {
        const out = b.makeOutput(shape, 'float32');
        b.typedArrayFromHeap(out).set(values);
        return out;
      },
    };
  },
  cpu: (backend) => {
    const b = backend as CpuBackend;
    return {
      read: (t) => b.data.get(t.dataId).values,
      output: (shape, values) => b.makeTensorInfo(shape, 'float32', values),
    };
  },
};

const lookupKernel =
  (access: (backend: unknown) => MemoryBackend): tf.KernelFunc =>
  ({ inputs, backend }) => {
    const { table, index } = inputs as unknown as { table: tf.TensorInfo; index: tf.TensorInfo };
    const memory = access(backend);
    const [rows, width] = table.shape;
    const entries = memory.read(table);
    const indices = memory.read(index);
    const out = new Float32Array(indices.length * width);
    for (let i = 0; i < indices.length; i++) {
      const row = Math.min(rows - 1, Math.max(0, indices[i] | 0)) * width;
      for (let k = 0; k < width; k++) out[i * width + k] = entries[row + k];
    }
    return memory.output([...index.shape, width], out);
  };

const registered = new Set<string>();

/**
 * `table[index]` along the table's first axis: `table` `[T,D]` float32, `index` int32 of any
 * shape → `[...index.shape, D]`. Not differentiable (nothing here needs it).
 */
export function lookupRows(table: tf.Tensor2D, index: tf.Tensor): tf.Tensor {
  const backend = tf.getBackend();
  const access = ACCESS[backend];
  if (access === undefined) return tf.gather(table, index);
  if (!registered.has(backend)) {
    if (tf.getKernel(KERNEL, backend) === undefined) {
      tf.registerKernel({ kernelName: KERNEL, backendName: backend, kernelFunc: lookupKernel(access) });
    }
    registered.add(backend);
  }
  return tf.engine().runKernel(KERNEL, { table, index } as unknown as tf.NamedTensorMap) as tf.Tensor;
}
