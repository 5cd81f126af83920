/**
 * The backends the page offers: wasm, webgl, cpu, and webgpu where the browser has WebGPU. The
 * wasm binaries are imported with `?url`, so Vite copies them into the build's assets and the
 * page loads them from its own origin: nothing is fetched from elsewhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
// Registers 'webgpu' only where `navigator.gpu` exists; elsewhere the import does nothing.
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

// The threaded build is the one tfjs picks where the page is cross-origin isolated (COOP/COEP:
// ../isolation.ts), which makes SharedArrayBuffer available; elsewhere the SIMD one.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

/**
 * The wasm thread count asked for with `?threads=N` (N ≥ 1) in `search` (a URL's query), or
 * undefined: then tfjs picks (one per logical core, where the page is cross-origin isolated).
 */
export function wasmThreadsParam(search: string): number | undefined {
  const value = new URLSearchParams(search).get('threads');
  if (value === null || !/^\d+$/.test(value) || Number(value) < 1) return undefined;
  return Number(value);
}

/** The thread count asked for, if any (see {@link requestWasmThreads}). */
let threadsAsked: number | undefined;

/**
 * Asks the wasm backend for `count` threads (undefined: tfjs's default). Only counts before the
 * wasm backend starts in this thread (page or worker), and only where it runs its threaded build.
 */
export function requestWasmThreads(count: number | undefined): void {
  if (count === undefined) return;
  threadsAsked = count;
  setThreadsCount(count);
}

/**
 * Runs `start` (the wasm backend's start) so that it may use the threads asked for.
 * tfjs-backend-wasm 4.22 caps its thread pool at `navigator.hardwareConcurrency / 2` (it counts
 * two hyperthreads per core; tfjs-backend-wasm/src/cc/backend.cc), read once as the module
 * starts: on a machine that reports 2 logical cores it runs one thread, whatever
 * `setThreadsCount` asks. So while it starts, and only then, `navigator.hardwareConcurrency`
 * reads at least twice the threads asked for; then the real value again.
 */
async function withThreadsAllowed<T>(start: () => Promise<T>): Promise<T> {
  const nav = globalThis.navigator;
  const wanted = threadsAsked === undefined ? 0 : 2 * threadsAsked;
  if (nav === undefined || nav.hardwareConcurrency >= wanted) return start();
  Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => wanted });
  try {
    return await start();
  } finally {
    Reflect.deleteProperty(nav, 'hardwareConcurrency'); // the prototype's getter again
  }
}

/** The threads the wasm backend of this thread (page or worker) runs on; 0 where it has not started. */
export function wasmThreads(): number {
  try {
    return getThreadsCount();
  } catch {
    return 0; // "WASM backend not initialized"
  }
}

// A page opened with ?threads=N (a worker's own URL has no query: the page passes it on).
if (typeof location !== 'undefined') requestWasmThreads(wasmThreadsParam(location.search));

/*
 * tfjs-backend-webgpu registers itself with priority 3, above webgl, and its start is
 * asynchronous: the first tensor made before a `setBackend` would then throw ("the highest
 * priority backend 'webgpu' has not yet been initialized"), and a browser whose `navigator.gpu`
 * gives no adapter would fall over. Registered again at priority 0, it runs only when chosen.
 */
const webgpuFactory = tf.findBackendFactory('webgpu');
if (webgpuFactory !== null) {
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', webgpuFactory, 0);
}

/** Every backend the page knows. */
export const ALL_BACKENDS = ['wasm', 'webgl', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof ALL_BACKENDS)[number];

/**
 * The backends this browser may run, in the order the page lists them: webgpu only where the
 * browser exposes WebGPU (`navigator.gpu`). Even then it may have no adapter (e.g. Chromium
 * without a GPU and without `--enable-unsafe-webgpu`): {@link useBackend} says so.
 */
export const BACKENDS: readonly BackendName[] = ALL_BACKENDS.filter((name) => tf.findBackendFactory(name) !== null);

/** Whether `name` is one of {@link ALL_BACKENDS}. */
export function isBackendName(name: string): name is BackendName {
  return (ALL_BACKENDS as readonly string[]).includes(name);
}

/** A backend this browser cannot run: the user's setup, not a bug of the page. */
export class BackendUnavailableError extends Error {
  constructor(readonly backend: BackendName, detail: string) {
    super(`The ${backend} backend is not available in this browser: ${detail}`);
    this.name = 'BackendUnavailableError';
  }
}

/** Why `name` failed to start, for the message. */
function unavailableReason(name: BackendName): string {
  if (name === 'webgpu') {
    return 'it has no WebGPU adapter (no usable GPU, WebGPU turned off, or a headless browser without --enable-unsafe-webgpu). Choose wasm, webgl or cpu.';
  }
  if (name === 'webgl') return 'WebGL could not be started. Choose wasm or cpu.';
  return 'it could not be started.';
}

/**
 * Whether the active webgpu backend reads results back synchronously. `GradCam.explain` reads
 * its scores with `dataSync`, which tfjs-backend-webgpu does by copying the buffer through a
 * WebGPU canvas; where the browser cannot share that canvas (Chromium with `--disable-gpu`), the
 * read gives zeros and the device is lost. The sum of 2048 values is large enough to run on the
 * GPU (smaller inputs are handed to the CPU).
 */
function webgpuReadsBack(): boolean {
  const probe = tf.tidy(() => tf.sum(tf.add(tf.ones([2048]), 1)));
  try {
    return probe.dataSync()[0] === 4096;
  } catch {
    return false;
  } finally {
    probe.dispose();
  }
}

/**
 * Switches tfjs to `name` and waits until it is ready. On failure the previous backend stays
 * active (tfjs itself would be left without one).
 *
 * @throws BackendUnavailableError when the browser cannot run it (no WebGPU, no WebGL, …).
 */
export async function useBackend(name: BackendName): Promise<void> {
  const before = tf.getBackend() as string | null;
  if (before === name && tf.findBackend(name) !== null) return;
  if (tf.findBackendFactory(name) === null) {
    throw new BackendUnavailableError(name, name === 'webgpu' ? 'it does not expose WebGPU (navigator.gpu).' : 'it is not registered.');
  }
  // tfjs keeps a failed name as the active backend, with no instance behind it: go back.
  const restore = async (): Promise<void> => {
    if (before !== null && before !== name && tf.findBackendFactory(before) !== null) await tf.setBackend(before);
  };
  if (!(await (name === 'wasm' ? withThreadsAllowed(() => tf.setBackend(name)) : tf.setBackend(name)))) {
    await restore();
    throw new BackendUnavailableError(name, unavailableReason(name));
  }
  await tf.ready();
  if (name === 'webgpu' && !webgpuReadsBack()) {
    await restore();
    throw new BackendUnavailableError(
      name,
      'WebGPU starts but cannot read results back (its canvas read-back fails, as in Chromium run with --disable-gpu). Choose wasm, webgl or cpu.',
    );
  }
}
