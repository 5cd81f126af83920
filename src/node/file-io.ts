import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError } from '../errors';
import { loadModel, modelFormat } from '../load';
import type { GraphModelLoader, LoadedGraphModel } from '../load/graph-load';
import type { GraphModelLike } from '../model/graph-model';
import { nodeGraphModelLoader } from './converter';
import { relativePathProblem } from '../load/url-policy';
import { type ModelSizeLimits, checkWeightBytes, resolveSizeLimits } from '../load/weight-manifest';
import { messageOf } from './message';

/**
 * Options of {@link fileIO} and {@link loadLayersModelFromFile}: size limits checked before
 * anything is read (defaults: 64 MiB for model.json, 1 GiB of weights).
 */
export type LoadModelFileOptions = ModelSizeLimits;

/**
 * A `tf.io.IOHandler` for a `model.json` on disk, in the format `model.save('file://…')` and
 * tfjs-converter write: `load()` reads the JSON and its weight files (paths relative to the
 * JSON's folder); `save()` writes the JSON and one weight file beside it,
 * `<name>.weights.bin`. Made with node:fs only, for Node without `@tensorflow/tfjs-node`.
 *
 * Loading treats the model.json as untrusted: every weight path must be a relative path inside
 * the JSON's folder (no absolute path, no `..`, no symlink leading out), the files' sizes must
 * add up to exactly what the manifest's shapes and dtypes need, and both files and JSON must
 * be under the size limits — all checked before a weight file is read.
 *
 * @param modelJsonPath Path of the `model.json` file.
 * @param options Size limits for loading (see {@link LoadModelFileOptions}).
 * @returns A handler to pass to `tf.loadLayersModel(handler)` or `model.save(handler)`.
 * @throws GradCamError `BAD_OPTION` for a limit that is not a positive integer.
 *
 * @example
 * ```ts
 * const model = await tf.loadLayersModel(fileIO('model/model.json'));
 * await model.save(fileIO('copy/model.json'));
 * ```
 */
export function fileIO(modelJsonPath: string, options: LoadModelFileOptions = {}): tf.io.IOHandler {
  const limits = resolveSizeLimits(options);
  return {
    load: () => loadArtifacts(modelJsonPath, limits),
    save: (artifacts) => saveArtifacts(modelJsonPath, artifacts),
  };
}

/**
 * Loads a model converted by tensorflowjs_converter from disk: a LayersModel, with the repairs
 * of `loadModel` (Keras 3 exports, keras.applications layer classes, …), or a GraphModel
 * (`format: 'graph-model'`: a SavedModel or TF Hub model), built by `options.loadGraphModel` or
 * else by `@tensorflow/tfjs-converter`'s, imported when needed (install it for graph models).
 *
 * The model.json is not trusted, whatever its format: see {@link fileIO} for what is checked
 * before reading.
 *
 * @param modelPath Path of `model.json`, or of a folder that holds one.
 * @param options Size limits (defaults: 64 MiB for model.json, 1 GiB of weights), and
 *   `loadGraphModel` (see `LoadAnyModelOptions` of `loadModel`).
 * @returns The model, ready for `GradCam`: a `LayersModel` or a `GraphModel`
 *   ({@link LoadedGraphModel}; with `loadGraphModel` given, what it returns).
 * @throws GradCamError `BAD_INPUT` when the file or a weight file is missing or unreadable,
 *   is not a model.json, names a weight file outside its folder, has weight files of another
 *   total size than its manifest declares, passes a size limit, holds a layer class nobody
 *   registered, a graph tfjs-converter cannot build, or the weights do not fit; the message
 *   names the file and the cause. `UNSUPPORTED_MODEL` for a GraphModel when
 *   `@tensorflow/tfjs-converter` is not installed. `BAD_OPTION` for a limit that is not a
 *   positive integer.
 *
 * @example
 * ```ts
 * const model = await loadModelFromFile('saved_model_js/'); // LayersModel or GraphModel
 * const gc = new GradCam(model);
 * ```
 */
export async function loadModelFromFile<G extends GraphModelLike>(
  modelPath: string,
  options: LoadModelFileOptions & { readonly loadGraphModel: GraphModelLoader<G> },
): Promise<tfl.LayersModel | G>;
export async function loadModelFromFile(modelPath: string, options?: LoadModelFileOptions): Promise<tfl.LayersModel | LoadedGraphModel>;
export async function loadModelFromFile(
  modelPath: string,
  options: LoadModelFileOptions & { readonly loadGraphModel?: GraphModelLoader } = {},
): Promise<tfl.LayersModel | GraphModelLike> {
  const { loadGraphModel = nodeGraphModelLoader, ...limits } = options;
  return loadFromFile(modelPath, limits, (handler) => loadModel(handler, { loadGraphModel }));
}

/**
 * Loads a `LayersModel` from a `model.json` on disk and its weight files: the same as
 * {@link loadModelFromFile}, repairs included, but a GraphModel is refused.
 *
 * @param modelPath Path of `model.json`, or of a folder that holds one.
 * @param options Size limits, as {@link loadModelFromFile}.
 * @returns The model, ready for `GradCam`.
 * @throws GradCamError as {@link loadModelFromFile}; `UNSUPPORTED_MODEL` for a GraphModel (the
 *   message points to `loadModelFromFile`).
 */
export async function loadLayersModelFromFile(modelPath: string, options: LoadModelFileOptions = {}): Promise<tfl.LayersModel> {
  return loadFromFile(modelPath, options, (handler) => loadModel({ load: () => layersArtifacts(handler) }));
}

/** The handler's artifacts, refused when they are a GraphModel's. */
async function layersArtifacts(handler: tf.io.IOHandler): Promise<tf.io.ModelArtifacts> {
  const artifacts = await (handler.load as () => Promise<tf.io.ModelArtifacts>)();
  if (modelFormat(artifacts) === 'graph') {
    throw new GradCamError('UNSUPPORTED_MODEL', 'Cannot load the model: it is a GraphModel (format "graph-model"), not a LayersModel; load it with loadModelFromFile.');
  }
  return artifacts;
}

/** Loads `modelPath` (a model.json or its folder) through {@link fileIO}; errors name the file. */
async function loadFromFile<M>(modelPath: string, options: LoadModelFileOptions, load: (handler: tf.io.IOHandler) => Promise<M>): Promise<M> {
  resolveSizeLimits(options); // bad options fail before the disk is touched
  const jsonPath = await resolveModelJson(modelPath);
  try {
    return await load(fileIO(jsonPath, options));
  } catch (err) {
    if (!(err instanceof GradCamError)) throw new GradCamError('BAD_INPUT', `Cannot load the model ${jsonPath}: ${messageOf(err)}`);
    if (err.message.includes(jsonPath)) throw err;
    throw new GradCamError(err.code, err.message.replace(/^Cannot load the model/, `Cannot load the model ${jsonPath}`));
  }
}

/**
 * Saves a `LayersModel` as `<dir>/model.json` plus `<dir>/model.weights.bin` (the folder is
 * created if needed); {@link loadLayersModelFromFile} reads it back.
 *
 * @param model The model to save (weights only, no optimizer state).
 * @param dir The output folder.
 * @returns The path of the written `model.json`.
 */
export async function saveLayersModelToDir(model: tfl.LayersModel, dir: string): Promise<string> {
  const jsonPath = path.join(dir, 'model.json');
  await model.save(fileIO(jsonPath));
  return jsonPath;
}

/** `<dir>/model.json` for a folder, the path itself otherwise. */
async function resolveModelJson(modelPath: string): Promise<string> {
  const stat = await fs.stat(modelPath).catch(() => undefined);
  if (stat === undefined) throw new GradCamError('BAD_INPUT', `Cannot load the model: ${modelPath} does not exist.`);
  return stat.isDirectory() ? path.join(modelPath, 'model.json') : modelPath;
}

async function loadArtifacts(jsonPath: string, limits: Required<LoadModelFileOptions>): Promise<tf.io.ModelArtifacts> {
  const text = await readOrThrow(jsonPath, jsonPath, limits.maxModelJsonBytes);
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new GradCamError('BAD_INPUT', `Cannot load the model: ${jsonPath} is not valid JSON (${messageOf(err)}).`);
  }
  const modelJson = checkModelJson(json, jsonPath);
  return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    // Weight groups and their shards concatenate in manifest order: specs index into that.
    const shards = manifest.flatMap((group) => group.paths);
    const files: fs.FileHandle[] = [];
    try {
      const folder = await realFolder(path.dirname(jsonPath), jsonPath);
      const sizes: number[] = [];
      for (const shard of shards) {
        const file = await openConfined(folder, shard, jsonPath);
        files.push(file.handle);
        sizes.push(file.size);
      }
      // Sizes first: nothing is allocated for a manifest that lies or passes the limit.
      const total = checkWeightBytes(specs, sizes, limits.maxWeightBytes, jsonPath);
      const data = new Uint8Array(total);
      let offset = 0;
      for (const [i, handle] of files.entries()) {
        await readExactly(handle, data.subarray(offset, offset + sizes[i]), `the weight file ${shards[i]} (listed in ${jsonPath})`);
        offset += sizes[i];
      }
      return [specs, data.buffer];
    } finally {
      await Promise.all(files.map((f) => f.close()));
    }
  });
}

/** The real path of the model's folder: weight files must resolve inside it. */
async function realFolder(dir: string, jsonPath: string): Promise<string> {
  try {
    return await fs.realpath(dir);
  } catch (err) {
    throw new GradCamError('BAD_INPUT', `Cannot load the model: the folder of ${jsonPath} cannot be read (${messageOf(err)}).`);
  }
}

/**
 * Opens a weight file named in the manifest, after checking that it lies inside `folder` (a
 * real path): the name must be relative without `..`, and its real path (symlinks followed)
 * must stay inside. Nothing outside is opened.
 */
async function openConfined(folder: string, shard: string, jsonPath: string): Promise<{ handle: fs.FileHandle; size: number }> {
  const refuse = (why: string): GradCamError =>
    new GradCamError('BAD_INPUT', `Cannot load the model ${jsonPath}: the weight path ${JSON.stringify(shard)} ${why}; weight files must sit in the model.json's folder.`);
  const problem = relativePathProblem(shard);
  if (problem !== undefined || shard === '' || path.isAbsolute(shard)) throw refuse(problem ?? 'is not a relative file name');
  const what = `the weight file ${path.join(folder, shard)} (listed in ${jsonPath})`;
  let real: string;
  try {
    real = await fs.realpath(path.join(folder, shard));
  } catch (err) {
    throw readError(err, what);
  }
  const inside = path.relative(folder, real);
  if (inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) throw refuse(`leads out of the folder (to ${real}, through a symlink)`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(real, 'r');
  } catch (err) {
    throw readError(err, what);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new GradCamError('BAD_INPUT', `Cannot load the model: ${what} is not a file.`);
  }
  return { handle, size: stat.size };
}

/** The parts of a model.json that `getModelArtifactsForJSON` relies on, checked with clear messages. */
function checkModelJson(json: unknown, jsonPath: string): tf.io.ModelJSON {
  const bad = (why: string): GradCamError => new GradCamError('BAD_INPUT', `Cannot load the model: ${jsonPath} ${why}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('is not a model.json (not a JSON object).');
  const record = json as Record<string, unknown>;
  if (typeof record.modelTopology !== 'object' || record.modelTopology === null) {
    throw bad('has no "modelTopology": it is not a TensorFlow.js model.json.');
  }
  const manifest = record.weightsManifest ?? [];
  const groupOk = (g: unknown): boolean => {
    const group = g as { paths?: unknown; weights?: unknown };
    return typeof g === 'object' && g !== null && Array.isArray(group.paths) && group.paths.every((p) => typeof p === 'string') && Array.isArray(group.weights);
  };
  if (!Array.isArray(manifest) || !manifest.every(groupOk)) {
    throw bad('has a malformed "weightsManifest" (expected [{ paths: [...], weights: [...] }]).');
  }
  return { ...(record as unknown as tf.io.ModelJSON), weightsManifest: manifest as tf.io.WeightsManifestConfig };
}

async function saveArtifacts(jsonPath: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new GradCamError('BAD_INPUT', 'fileIO saves LayersModels (a JSON topology), not binary GraphModel topologies.');
  }
  const weightsName = `${path.basename(jsonPath, '.json')}.weights.bin`;
  const weightData = artifacts.weightData ?? new ArrayBuffer(0);
  const weights = Array.isArray(weightData) ? Buffer.concat(weightData.map((b) => Buffer.from(b))) : Buffer.from(weightData);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs ?? [] }],
  };
  // Optional fields are written only when present, as tfjs does.
  if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature !== undefined) modelJson.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata !== undefined) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer !== undefined) modelJson.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature !== undefined) modelJson.initializerSignature = artifacts.initializerSignature;

  await fs.mkdir(path.dirname(jsonPath), { recursive: true });
  await fs.writeFile(path.join(path.dirname(jsonPath), weightsName), weights);
  await fs.writeFile(jsonPath, JSON.stringify(modelJson));
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: Buffer.byteLength(JSON.stringify(modelJson.modelTopology), 'utf8'),
      weightSpecsBytes: Buffer.byteLength(JSON.stringify(artifacts.weightSpecs ?? []), 'utf8'),
      weightDataBytes: weights.length,
    },
  };
}

/** Reads a file of at most `maxBytes` bytes (checked before reading); `what` names it in the error message. */
async function readOrThrow(file: string, what: string, maxBytes: number): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    throw readError(err, what);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new GradCamError('BAD_INPUT', `Cannot load the model: ${what} is a folder.`);
    if (stat.size > maxBytes) {
      throw new GradCamError('BAD_INPUT', `Cannot load the model: ${what} has ${stat.size} bytes, above the limit of ${maxBytes} bytes for a model.json; raise maxModelJsonBytes if you trust it.`);
    }
    const bytes = Buffer.alloc(stat.size);
    await readExactly(handle, bytes, what);
    return bytes;
  } catch (err) {
    throw err instanceof GradCamError ? err : readError(err, what);
  } finally {
    await handle.close();
  }
}

/** Fills `into` from the start of the file; a file that shrank since its size was checked is an error. */
async function readExactly(handle: fs.FileHandle, into: Uint8Array, what: string): Promise<void> {
  for (let done = 0; done < into.length; ) {
    const { bytesRead } = await handle.read(into, done, into.length - done, done);
    if (bytesRead === 0) throw new GradCamError('BAD_INPUT', `Cannot load the model: ${what} got shorter while it was read.`);
    done += bytesRead;
  }
}

/** A file-system error as a BAD_INPUT error naming the file. */
function readError(err: unknown, what: string): GradCamError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${messageOf(err)})`;
  return new GradCamError('BAD_INPUT', `Cannot load the model: ${what} ${why}.`);
}
