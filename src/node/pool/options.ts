import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExplainOptions, GradCamOptions } from '../../gradcam';
import { GradCamError } from '../../errors';
import type { LoadModelFileOptions } from '../file-io';
import type { ReadImageOptions } from '../image';

/** The tfjs backends a worker can run: `'wasm'` (default) or `'cpu'`. */
export type PoolBackend = 'wasm' | 'cpu';

/** The backends {@link explainInWorkers} accepts. */
const BACKENDS: readonly PoolBackend[] = ['wasm', 'cpu'];

/** Most workers a pool starts: past the core count they only share the same cores. */
const MAX_WORKERS = 64;

/**
 * The worker count used when none is given: the number of cores, at most 4 (each worker holds
 * its own copy of the model, so memory grows with it).
 *
 * @returns An integer from 1 to 4.
 */
export function defaultWorkerCount(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, 4));
}

/** Checks a worker count: an integer from 1 to 64. @internal */
export function checkWorkerCount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_WORKERS) {
    throw new GradCamError('BAD_OPTION', `${name} must be an integer from 1 to ${MAX_WORKERS}, got ${String(value)}.`);
  }
  return value;
}

/** Checks a backend name. @internal */
export function checkPoolBackend(value: unknown): PoolBackend {
  if (!BACKENDS.includes(value as PoolBackend)) {
    throw new GradCamError('BAD_OPTION', `backend must be one of ${BACKENDS.map((b) => `'${b}'`).join(', ')}, got ${String(value)}.`);
  }
  return value as PoolBackend;
}

/** The explainer's options a worker can take: plain data (no functions cross threads). */
export type PoolExplainerOptions = Pick<GradCamOptions, 'layerName' | 'inputName' | 'outputName' | 'cacheTransposedKernels'>;

/**
 * The explanation's options a worker can take: plain data, and one class for every image
 * (omitted: each image's top class).
 */
export type PoolExplainOptions = Pick<ExplainOptions, 'method' | 'score' | 'counterfactual' | 'relu' | 'normalize' | 'eigenSmooth' | 'augSmooth' | 'batchSize' | 'maxChannels'> & {
  classIndex?: number;
};

/**
 * How image files are read (as {@link ReadImageOptions}); `size` defaults to the model's input
 * size, read by each worker from its model.
 */
export type PoolReadOptions = Omit<ReadImageOptions, 'size'> & { size?: readonly [number, number] };

/** What every worker sets up with (its `workerData`). @internal */
export interface PoolInit {
  readonly modelPath: string;
  readonly backend: PoolBackend;
  readonly load: LoadModelFileOptions;
  readonly explainer: PoolExplainerOptions;
  readonly explain: PoolExplainOptions;
  readonly read: PoolReadOptions;
}

/**
 * A built worker script next to the built module that asks for it: `name.js` beside an ESM
 * file, `name.cjs` beside a CommonJS one. @internal
 */
export function builtScript(name: string, besides: string): URL {
  const ext = path.extname(besides);
  if (ext !== '.js' && ext !== '.cjs' && ext !== '.mjs') {
    throw new GradCamError('BAD_INPUT', `Worker threads run from the built package (dist/), not from ${besides}: build it first (npm run build).`);
  }
  return pathToFileURL(path.join(path.dirname(besides), `${name}${ext}`));
}
