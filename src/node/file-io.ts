import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError } from '../errors';
import { loadModel } from '../load';
import { messageOf } from './message';

/**
 * A `tf.io.IOHandler` for a `model.json` on disk, in the format `model.save('file://…')` and
 * tfjs-converter write: `load()` reads the JSON and its weight files (paths relative to the
 * JSON's folder); `save()` writes the JSON and one weight file beside it,
 * `<name>.weights.bin`. Made with node:fs only, for Node without `@tensorflow/tfjs-node`.
 *
 * @param modelJsonPath Path of the `model.json` file (a folder means `<folder>/model.json`
 *   when loading).
 * @returns A handler to pass to `tf.loadLayersModel(handler)` or `model.save(handler)`.
 *
 * @example
 * ```ts
 * const model = await tf.loadLayersModel(fileIO('model/model.json'));
 * await model.save(fileIO('copy/model.json'));
 * ```
 */
export function fileIO(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: () => loadArtifacts(modelJsonPath),
    save: (artifacts) => saveArtifacts(modelJsonPath, artifacts),
  };
}

/**
 * Loads a model converted by tensorflowjs_converter from disk, with the repairs of `loadModel`
 * (Keras 3 exports, keras.applications layer classes, …).
 *
 * @param modelPath Path of `model.json`, or of a folder that holds one.
 * @returns The model, ready for `GradCam`.
 * @throws GradCamError `BAD_INPUT` when the file or a weight file is missing or unreadable or is
 *   not a LayersModel's JSON (e.g. a GraphModel), holds a layer class nobody registered, or the
 *   weights do not fit. The message names the file and the cause.
 */
export async function loadModelFromFile(modelPath: string): Promise<tfl.LayersModel> {
  const jsonPath = await resolveModelJson(modelPath);
  try {
    return await loadModel(fileIO(jsonPath));
  } catch (err) {
    if (!(err instanceof GradCamError)) throw new GradCamError('BAD_INPUT', `Cannot load the model ${jsonPath}: ${messageOf(err)}`);
    if (err.message.includes(jsonPath)) throw err;
    throw new GradCamError(err.code, err.message.replace(/^Cannot load the model/, `Cannot load the model ${jsonPath}`));
  }
}

/**
 * Loads a `LayersModel` from a `model.json` on disk and its weight files: the same as
 * {@link loadModelFromFile}, repairs included.
 *
 * @param modelPath Path of `model.json`, or of a folder that holds one.
 * @returns The model, ready for `GradCam`.
 * @throws GradCamError as {@link loadModelFromFile}.
 */
export async function loadLayersModelFromFile(modelPath: string): Promise<tfl.LayersModel> {
  return loadModelFromFile(modelPath);
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

async function loadArtifacts(jsonPath: string): Promise<tf.io.ModelArtifacts> {
  const text = await readOrThrow(jsonPath, jsonPath);
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new GradCamError('BAD_INPUT', `Cannot load the model: ${jsonPath} is not valid JSON (${messageOf(err)}).`);
  }
  const modelJson = checkModelJson(json, jsonPath);
  const dir = path.dirname(jsonPath);
  return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: Buffer[] = [];
    // Weight groups and their shards concatenate in manifest order: specs index into that.
    for (const group of manifest) {
      for (const shard of group.paths) buffers.push(await readOrThrow(path.resolve(dir, shard), `the weight file ${path.resolve(dir, shard)} (listed in ${jsonPath})`));
      specs.push(...group.weights);
    }
    return [specs, toArrayBuffer(Buffer.concat(buffers))];
  });
}

/** The parts of a model.json that `getModelArtifactsForJSON` relies on, checked with clear messages. */
function checkModelJson(json: unknown, jsonPath: string): tf.io.ModelJSON {
  const bad = (why: string): GradCamError => new GradCamError('BAD_INPUT', `Cannot load the model: ${jsonPath} ${why}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('is not a model.json (not a JSON object).');
  const record = json as Record<string, unknown>;
  if (record.format === 'graph-model') {
    throw bad('holds a GraphModel (tfjs-converter "graph-model"); tfjs-gradcam explains LayersModels (Keras models converted as "layers-model").');
  }
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

/** Reads a file; `what` names it in the error message. */
async function readOrThrow(file: string, what: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${messageOf(err)})`;
    throw new GradCamError('BAD_INPUT', `Cannot load the model: ${what} ${why}.`);
  }
}

/** A standalone ArrayBuffer with exactly the buffer's bytes (a Buffer may view a larger pool). */
function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}
