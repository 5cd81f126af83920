import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fill } from './keras-prng';

/** test/fixtures/keras: real conversions of keras.applications models (scripts/fixtures/keras). */
// Relative to the repository root (jest's working directory), as test/helpers/fixtures.ts.
export const KERAS_FIXTURES = path.resolve(process.cwd(), 'test/fixtures/keras');

/** What Keras computed for a fixture model (scripts/fixtures/keras/generate.py). */
export interface KerasReference {
  keras: 2 | 3;
  application: string;
  format: 'h5' | 'keras';
  inputSize: number;
  preprocess: 'caffe' | 'tf' | 'torch' | 'none';
  /** `[2,1000]` the model's outputs on chelsea and coffee. */
  probabilities: number[][];
  /** `[2,1000]` pre-softmax logits. */
  logits: number[][];
  classIndex: number[];
  layerName: string;
  /** `[2,h,w]` the keras.io recipe's map (before its division by the max). */
  cam: number[][][];
}

interface WeightsFile {
  seed: number;
  weights: Array<{ name: string; stream?: number; stats?: number; size?: number }>;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
}

export function kerasFixtureNames(): string[] {
  return fs
    .readdirSync(KERAS_FIXTURES)
    .filter((n) => fs.existsSync(path.join(KERAS_FIXTURES, n, 'model.json')))
    .sort();
}

export function readReference(name: string): KerasReference {
  return JSON.parse(fs.readFileSync(path.join(KERAS_FIXTURES, name, 'reference.json'), 'utf8')) as KerasReference;
}

/** `[2,size,size,3]` chelsea and coffee at the size, as uint8 RGB. */
export function readPhotos(size: number): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(KERAS_FIXTURES, `images-${size}.bin`)));
}

/**
 * Writes the fixture as the converter wrote it — its model.json and weight shards — into a new
 * temporary folder, regenerating the weights from the PRNG and stats.bin. Returns the folder.
 */
export function materialize(name: string): string {
  const dir = path.join(KERAS_FIXTURES, name);
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: Array<{ paths: string[]; weights: ManifestEntry[] }>;
  };
  const recipe = JSON.parse(fs.readFileSync(path.join(dir, 'weights.json'), 'utf8')) as WeightsFile;
  const statsBuf = fs.readFileSync(path.join(dir, 'stats.bin'));
  const stats = new Uint8Array(statsBuf.buffer, statsBuf.byteOffset, statsBuf.byteLength);
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const parts = specs.map((spec, i) => {
    const how = recipe.weights[i];
    if (how.name !== spec.name) throw new Error(`weights.json out of step with model.json at ${spec.name}`);
    if (how.stream !== undefined) return new Uint8Array(fill(recipe.seed, how.stream, spec.shape).buffer);
    return stats.slice((how.stats ?? 0) * 4, ((how.stats ?? 0) + (how.size ?? 0)) * 4);
  });
  const blob = Buffer.concat(parts);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `keras-${name}-`));
  const paths = modelJson.weightsManifest.flatMap((g) => g.paths);
  const shard = 4 * 1024 * 1024; // the converter's shard size
  paths.forEach((p, i) => fs.writeFileSync(path.join(out, p), blob.subarray(i * shard, i === paths.length - 1 ? blob.length : (i + 1) * shard)));
  fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(modelJson));
  return out;
}
