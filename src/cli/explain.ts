import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { blend } from '../core/blend';
import { applyColormap } from '../core/colormap';
import { type PreprocessMode, preprocessInput } from '../core/preprocess';
import { bilinearResize } from '../core/resize';
import { GradCamError, formatShape } from '../errors';
import { GradCam, type GradCamOptions, type GradCamResult } from '../gradcam';
import type { LoadedGraphModel } from '../load/graph-load';
import { cachingForRun } from '../model/dense-head';
import { isGraphModel } from '../model/graph-model';
import { graphFacts } from '../model/graph-targets';
import { loadModelFromFile } from '../node/file-io';
import { messageOf } from '../node/message';
import { type Preprocessing, type RawImage, decodeRaw, modelInputSize, rawToTensor, resizeRaw, writeImage } from '../node/image';
import { type BackendName, type ExplainArgs, UsageError } from './args';
import { type JobOutcome, failedOutcome, runPool } from '../node/pool/engine';
import { builtScript, defaultWorkerCount } from '../node/pool/options';
import { thisFile } from '../node/pool/this-file';
import type { CliJob, CliWorkerInit } from './worker-jobs';
import { PROGRAM } from './help';
import { type InputItem, collectInputs, outputStems } from './inputs';
import { type MapMetrics, mapMetrics, metricsSummary } from './metrics';
import { type OutputStream, ProgressBar } from './progress';

/** The command's streams. */
export interface CliIO {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
}

/** One prediction: a class, its name when known, and the model's output for it. */
interface Prediction {
  readonly class: number;
  readonly label?: string;
  readonly score: number;
}

/** One explained class of one image, with the files written for it. */
interface Explained extends Prediction {
  /** The score the map explains: the pre-softmax logit. */
  readonly logit: number;
  readonly overlay: string;
  readonly heatmap: string;
  /** With --metrics. */
  readonly metrics?: MapMetrics;
}

/** A model `--model` loads: a LayersModel or a GraphModel. */
type CliModel = LayersModel | LoadedGraphModel;

/** What the model, its labels and the options fix for every image. */
export interface Setup {
  readonly model: CliModel;
  readonly explainer: GradCam;
  readonly labels?: readonly string[];
  readonly numClasses: number;
  readonly inputSize?: readonly [number, number];
  readonly preprocessing: Pick<Preprocessing, 'scale' | 'mean' | 'std'>;
  /** `--preprocess`: Keras's preprocessing on 0–255 pixels, instead of `preprocessing`. */
  readonly preprocess?: PreprocessMode;
  readonly classIndex?: number;
  readonly shown: number;
}

/** Error codes that concern the whole run, not one image: stop at the first. */
const RUN_ERRORS = new Set(['UNSUPPORTED_MODEL', 'BAD_OPTION', 'UNKNOWN_LAYER', 'NOT_A_FEATURE_MAP', 'NO_FEATURE_MAP_LAYER', 'SHARED_LAYER']);

/**
 * `tfjs-gradcam explain`: explains every image, reporting (and skipping) the ones that fail.
 *
 * @returns The exit status: 0, or 1 when anything failed.
 * @throws UsageError for an option the model contradicts (a layer or class it lacks).
 */
export async function runExplain(args: ExplainArgs, io: CliIO): Promise<number> {
  const started = performance.now();
  const items = await collectInputs(args.inputs);
  const jobs = Math.min(args.jobs ?? defaultWorkerCount(), items.length);
  // With --jobs, this setup only checks the options: the workers explain.
  const setup = await prepare(args, io, jobs > 1 ? 0 : items.length);
  if (setup === undefined) return 1;
  try {
    await fs.mkdir(args.out, { recursive: true });
  } catch (err) {
    report(io, `cannot create the output folder ${args.out}: ${messageOf(err)}`);
    setup.explainer.dispose();
    return 1;
  }

  const progress = new ProgressBar(io.stderr, items.length, io.stderr.isTTY === true && !args.quiet && items.length > 1);
  const stems = outputStems(items.map((i) => i.file));
  const say = (stream: OutputStream, text: string): void => {
    progress.clear();
    stream.write(text);
    progress.redraw();
  };
  let done = 0;
  let failed = 0;
  let files = 0;
  let stop: GradCamError | undefined;
  const measured: MapMetrics[] = [];
  /** Reports one image's outcome, in input order; false when its error stops the whole run. */
  const record = (item: InputItem, outcome: JobOutcome<ImageResult>): boolean => {
    if (outcome.ok) {
      done++;
      files += outcome.value.explained.length * 2;
      for (const e of outcome.value.explained) if (e.metrics !== undefined) measured.push(e.metrics);
      say(io.stdout, args.json ? `${JSON.stringify(outcome.value)}\n` : humanLine(outcome.value));
      return true;
    }
    failed++;
    const err = outcome.error;
    const code = err instanceof GradCamError ? err.code : undefined;
    if (code !== undefined && RUN_ERRORS.has(code)) {
      stop = err as GradCamError;
      return false;
    }
    const message = messageOf(err);
    progress.clear();
    report(io, message.startsWith('Cannot') ? message : `${item.file}: ${message}`);
    if (args.json) io.stdout.write(`${JSON.stringify({ file: item.file, error: message, code: code ?? 'ERROR' })}\n`);
    progress.redraw();
    return true;
  };
  try {
    if (jobs > 1) {
      // The workers load their own copies: this one only checked the options.
      setup.explainer.dispose();
      setup.model.dispose();
      await explainOnWorkers(items, stems, jobs, args, progress, record);
    } else {
      try {
        for (const [i, item] of items.entries()) {
          progress.update(i, item.file);
          if (!record(item, await attempt(() => explainItem(item, stems[i], setup, args)))) break;
        }
      } finally {
        setup.explainer.dispose();
        setup.model.dispose();
      }
    }
    progress.update(done + failed, '');
    progress.clear();
  } catch (err) {
    progress.clear();
    report(io, messageOf(err));
    return 1;
  }
  if (stop !== undefined) {
    if (stop.code === 'BAD_OPTION') throw new UsageError(stop.message);
    report(io, stop.message);
    return 1;
  }
  if (!args.quiet) io.stderr.write(`${summary(done, failed, items.length, files, args.out, performance.now() - started)}\n`);
  if (!args.quiet && measured.length > 0) io.stderr.write(`${metricsSummary(measured)}\n`);
  return failed > 0 ? 1 : 0;
}

/** Runs `fn`, its result or error as an outcome. */
async function attempt<R>(fn: () => Promise<R>): Promise<JobOutcome<R>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return failedOutcome(err);
  }
}

/** One command-line item: an error item (a path that is not there) fails here. */
export function explainItem(item: InputItem, stem: string, setup: Setup, args: ExplainArgs): Promise<ImageResult> {
  if ('error' in item) return Promise.reject(new GradCamError('BAD_INPUT', item.error));
  return explainImage(item.file, stem, setup, args);
}

/**
 * `--jobs N`: the images on N worker threads (dist/cli-worker.js), each with its own backend
 * and model; outcomes reported in input order as they come in. A run-wide error (one that
 * `record` refuses) stops the pool.
 */
async function explainOnWorkers(
  items: readonly InputItem[],
  stems: readonly string[],
  jobs: number,
  args: ExplainArgs,
  progress: ProgressBar,
  record: (item: InputItem, outcome: JobOutcome<ImageResult>) => boolean,
): Promise<void> {
  const stopped = new AbortController();
  const waiting = new Map<number, JobOutcome<ImageResult>>();
  let next = 0;
  let finished = 0;
  const init: CliWorkerInit = { args, backend: tf.getBackend() as BackendName, share: Math.ceil(items.length / jobs) };
  await runPool<CliJob, ImageResult>({
    script: builtScript('cli-worker', thisFile()),
    workers: jobs,
    init,
    count: items.length,
    job: (index) => ({ item: items[index], stem: stems[index] }),
    signal: stopped.signal,
    onOutcome: (index, outcome) => {
      progress.update(++finished, items[index].file);
      waiting.set(index, outcome);
      for (let o = waiting.get(next); o !== undefined && !stopped.signal.aborted; o = waiting.get(next)) {
        waiting.delete(next);
        if (!record(items[next], o)) stopped.abort();
        next++;
      }
    },
  }).catch((err: unknown) => {
    if (!stopped.signal.aborted) throw err;
  });
}

/** Loads the model and labels and checks the options against them; undefined after reporting a failure. */
async function prepare(args: ExplainArgs, io: CliIO, explanations: number): Promise<Setup | undefined> {
  try {
    return await makeSetup(args, explanations);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    report(io, messageOf(err));
    return undefined;
  }
}

/**
 * Loads the model (and labels) and checks the options against them: in the main thread, and
 * once in each worker with --jobs. `explanations`: about how many images this setup will explain
 * (0: none, an option check), which decides the explainer's kernel caching.
 *
 * @throws UsageError for an option the model contradicts; GradCamError for a model that cannot
 *   be loaded or explained.
 */
export async function makeSetup(args: ExplainArgs, explanations: number): Promise<Setup> {
  let model: CliModel;
  let labels: readonly string[] | undefined;
  if (args.model !== undefined) {
    model = await loadModelFromFile(args.model);
  } else {
    const demo = await import('../demo');
    model = await demo.loadDemoModel();
    labels = demo.DEMO_CLASSES;
  }
  try {
    const { numClasses, inputSize } = checkModel(model, args.output);
    if (args.labels !== undefined) labels = await readLabels(args.labels, numClasses);
    const classIndex = args.classTarget === undefined ? undefined : resolveClass(args.classTarget, numClasses, labels);
    if (args.topK !== undefined && args.topK > numClasses) {
      throw new UsageError(`--top-k must be at most ${numClasses}, the number of classes of the model (got ${args.topK}).`);
    }
    const explainer = makeExplainer(model, { layerName: args.layers, outputName: args.output, cacheTransposedKernels: cachingForRun(explanations) });
    return {
      model,
      explainer,
      labels,
      numClasses,
      inputSize,
      preprocessing: args.preprocess === undefined ? { scale: args.scale ?? '0-1', mean: args.mean, std: args.std } : { scale: 'none' },
      preprocess: args.preprocess,
      classIndex,
      shown: Math.min(numClasses, Math.max(3, args.topK ?? 1)),
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * The explained output's class count and the input size; the command explains RGB image
 * classifiers: one of a model's outputs (`--output` when there are several) must be class scores.
 */
function checkModel(model: CliModel, outputName: string | undefined): { numClasses: number; inputSize?: readonly [number, number] } {
  const { inputShape, outputShape } = isGraphModel(model) ? graphShapes(model, outputName) : layersShapes(model, outputName);
  const [, h, w, channels] = inputShape;
  if (channels != null && channels !== 3) {
    throw new GradCamError('UNSUPPORTED_MODEL', `The model takes ${channels}-channel images; ${PROGRAM} feeds RGB images (3 channels).`);
  }
  const numClasses = outputShape.length === 2 ? outputShape[1] : null;
  if (numClasses == null) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `${PROGRAM} explains classifiers, whose output is class scores [N,K]; the ${outputName === undefined ? 'model outputs' : `output '${outputName}' is`} ${formatShape(outputShape)}.`,
    );
  }
  return { numClasses, inputSize: h == null || w == null ? undefined : [h, w] };
}

type Shape = ReadonlyArray<number | null>;

/** A LayersModel's image input and the output `--output` names (the only one by default). */
function layersShapes(model: LayersModel, outputName: string | undefined): { inputShape: Shape; outputShape: Shape } {
  modelInputSize(model); // one image input [N,H,W,C], or a clear error
  const names = model.outputs.map((o) => o.sourceLayer.name);
  if (outputName === undefined && names.length > 1) {
    throw new UsageError(`the model has ${names.length} outputs (${names.join(', ')}): choose the classifier's with --output NAME.`);
  }
  const at = outputName === undefined ? 0 : names.indexOf(outputName);
  if (at < 0) throw new UsageError(`--output '${outputName}' is not one of the model's outputs: ${names.join(', ')}.`);
  return { inputShape: model.inputs[0].shape, outputShape: model.outputs[at].shape };
}

/** A GraphModel's input and output shapes (a graph stores none: learnt by running it once). */
function graphShapes(model: LoadedGraphModel, outputName: string | undefined): { inputShape: Shape; outputShape: Shape } {
  if (outputName !== undefined) throw new UsageError('--output applies to LayersModels; a GraphModel has one output.');
  const facts = graphFacts(model);
  return { inputShape: facts.inputShape, outputShape: facts.outputShape };
}

/** Class names, one a line; blank lines at the end are ignored. */
async function readLabels(file: string, numClasses: number): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GradCamError('BAD_INPUT', `Cannot read the labels file ${file}: ${code === 'ENOENT' ? 'no such file' : messageOf(err)}.`);
  }
  const labels = text.replace(/\s+$/, '').split(/\r?\n/).map((l) => l.trim());
  if (labels.length !== numClasses) {
    throw new GradCamError('BAD_INPUT', `The labels file ${file} has ${labels.length} lines, but the model has ${numClasses} classes: give one name a line.`);
  }
  return labels;
}

function resolveClass(target: number | string, numClasses: number, labels: readonly string[] | undefined): number {
  if (typeof target === 'number') {
    if (target >= numClasses) throw new UsageError(`--class must be from 0 to ${numClasses - 1} (the model has ${numClasses} classes), got ${target}.`);
    return target;
  }
  const index = labels?.indexOf(target) ?? -1;
  if (index < 0) {
    const known = labels === undefined ? 'the model has no class names (give them with --labels), so use an index' : `choose one of: ${labels.join(', ')}`;
    throw new UsageError(`--class '${target}' is not a class name: ${known}.`);
  }
  return index;
}

function makeExplainer(model: CliModel, options: GradCamOptions): GradCam {
  try {
    return new GradCam(model, options);
  } catch (err) {
    // A layer the user named that does not fit is a command-line mistake.
    const code = err instanceof GradCamError ? err.code : undefined;
    if (options.layerName !== undefined && (code === 'UNKNOWN_LAYER' || code === 'NOT_A_FEATURE_MAP' || code === 'SHARED_LAYER')) {
      throw new UsageError(`--layer: ${messageOf(err)}`);
    }
    throw err;
  }
}

/** The JSON line of one image. */
export interface ImageResult {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly predictions: Prediction[];
  readonly method: string;
  readonly layer: string;
  readonly explained: Explained[];
}

/** Applies `--preprocess` (taking ownership of `pixels`), or returns them as they are. */
function toInput(pixels: tf.Tensor3D, mode: PreprocessMode | undefined): tf.Tensor3D {
  if (mode === undefined) return pixels;
  const input = preprocessInput(pixels, mode);
  pixels.dispose();
  return input;
}

/** Explains one image file and writes its maps: the work of one image, in the main thread or a worker. */
export async function explainImage(file: string, stem: string, setup: Setup, args: ExplainArgs): Promise<ImageResult> {
  const raw = await decodeRaw(file, args.maxPixels);
  const input = toInput(rawToTensor(await resizeRaw(raw, setup.inputSize), setup.preprocessing), setup.preprocess);
  let results: GradCamResult[] = [];
  try {
    const options = { method: args.method, maxChannels: args.maxChannels };
    results =
      args.topK !== undefined
        ? setup.explainer.explainTopK(input, args.topK, options)
        : [setup.explainer.explain(input, { ...options, classIndex: setup.classIndex })];
    // The model's prediction, from the explanation's own forward pass.
    const scores = Array.from(await results[0].output.data());
    const ranked = scores.map((score, c) => ({ c, score })).sort((a, b) => b.score - a.score);
    const prediction = (c: number): Prediction => ({ class: c, ...(setup.labels ? { label: setup.labels[c] } : {}), score: round(scores[c]) });
    const explained: Explained[] = [];
    for (const [rank, result] of results.entries()) {
      const c = result.classIndex[0];
      const name = args.topK === undefined ? stem : `${stem}.${rank + 1}-${safeName(setup.labels?.[c] ?? String(c))}`;
      const overlay = path.join(args.out, `${name}.overlay.png`);
      const heatmap = path.join(args.out, `${name}.heatmap.png`);
      await writeMaps(raw, result.heatmap, overlay, heatmap, args);
      const metrics = args.metrics ? roundAll(await mapMetrics(setup.model, input, result.heatmap, c)) : undefined;
      explained.push({ ...prediction(c), logit: round(result.scores[0]), overlay, heatmap, ...(metrics ? { metrics } : {}) });
    }
    return {
      file,
      width: raw.width,
      height: raw.height,
      predictions: ranked.slice(0, setup.shown).map((r) => prediction(r.c)),
      method: args.method,
      layer: setup.explainer.layerNames.join(','),
      explained,
    };
  } finally {
    input.dispose();
    for (const r of results) r.dispose();
  }
}

/** Writes the overlay and the coloured heatmap at the image's own size. */
async function writeMaps(raw: RawImage, heatmap: tf.Tensor3D, overlayPath: string, heatmapPath: string, args: ExplainArgs): Promise<void> {
  const { overlay, coloured } = tf.tidy(() => {
    const [, h, w] = heatmap.shape;
    // The map is at the model's input size; bring it to the image's for the overlay.
    const sized = h === raw.height && w === raw.width ? heatmap : bilinearResize(heatmap, [raw.height, raw.width]);
    const image = rawToTensor(raw, { scale: '0-1' });
    return {
      overlay: blend(image, sized, { alpha: args.alpha, colormap: args.colormap }),
      coloured: applyColormap(sized, args.colormap),
    };
  });
  try {
    await writeImage(overlayPath, overlay);
    await writeImage(heatmapPath, coloured);
  } finally {
    tf.dispose([overlay, coloured]);
  }
}

/** `cat.png: circle 0.971, square 0.012, star 0.008 → out/cat.overlay.png` */
function humanLine(result: ImageResult): string {
  const name = (p: Prediction): string => p.label ?? `class ${p.class}`;
  const predictions = result.predictions.map((p) => `${name(p)} ${p.score.toFixed(3)}`).join(', ');
  const top = result.predictions[0];
  const explained = result.explained;
  const which = explained.length === 1 && explained[0].class === top.class ? '' : `; explained ${explained.map(name).join(', ')}`;
  return `${result.file}: ${predictions}${which} → ${explained.map((e) => e.overlay).join(', ')}\n`;
}

function summary(done: number, failed: number, total: number, files: number, out: string, ms: number): string {
  const images = (n: number): string => `${n} image${n === 1 ? '' : 's'}`;
  const count = failed > 0 ? `${done} of ${images(total)}` : images(done);
  const failures = failed > 0 ? `; ${failed} failed (see above)` : '';
  const dir = out.endsWith('/') ? out : `${out}/`;
  return `Explained ${count} in ${(ms / 1000).toFixed(1)} s${failures}; wrote ${files} file${files === 1 ? '' : 's'} to ${dir}`;
}

/** A class name usable in a file name. */
function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'class';
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}

function roundAll(m: MapMetrics): MapMetrics {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, round(v)])) as unknown as MapMetrics;
}

function report(io: CliIO, message: string): void {
  io.stderr.write(`${PROGRAM}: ${message}\n`);
}
