/**
 * The page: live Grad-CAM on an animated scene, a webcam or a video file, and a still-image
 * mode, with the demo model or a LayersModel or GraphModel of your own.
 *
 * URL parameters set the controls at start: `?source=scene|webcam|file`, `backend=wasm|webgl|cpu|webgpu`,
 * `method=gradcam|…`, `colormap=jet|…`, `opacity=0.5`, `mode=video|still`, `seed=1`, and
 * `shapeSeconds=4` (how long each shape of the animated scene stays), `thread=worker|main` (where
 * the live loop explains: a Web Worker by default, where the browser can), `threads=N` (the wasm
 * backend's threads where the page is cross-origin isolated; default: tfjs's, half the logical cores).
 * `window.__gradcam` exposes the counters the end-to-end test reads.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // the layers API and, with it, the gradients
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { CAM_METHODS, COLORMAPS, type CamMethodName, type ColormapName, GradCamError, featureMapLayers, loadModel } from '../../../src';
import { DEMO_CLASSES, DEMO_IMAGE_SIZE, loadDemoModel, renderScene } from '../../../src/demo';
import { BACKENDS, type BackendName, BackendUnavailableError, isBackendName, useBackend, wasmThreadsParam } from './backends';
import { Explainer, type PageModel, type Ranked } from './explainer';
import { type FrameWork, MainThreadWork, WorkerWork, workerSupported } from './frame-work';
import type { PageHook } from './hook';
import { type FrameSource, LiveLoop, type LiveStats, SceneSource, VideoSource, freshLiveStats } from './live';
import { StillView } from './still';


declare global {
  interface Window {
    __gradcam?: PageHook;
  }
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`missing #${id}`);
  return found as T;
}

const ui = {
  tabVideo: element<HTMLButtonElement>('tab-video'),
  tabStill: element<HTMLButtonElement>('tab-still'),
  method: element<HTMLSelectElement>('method'),
  colormap: element<HTMLSelectElement>('colormap'),
  backend: element<HTMLSelectElement>('backend'),
  opacity: element<HTMLInputElement>('opacity'),
  opacityValue: element<HTMLOutputElement>('opacity-value'),
  layer: element<HTMLSelectElement>('layer'),
  userModel: element<HTMLDivElement>('user-model'),
  modelUrl: element<HTMLInputElement>('model-url'),
  modelUrlLoad: element<HTMLButtonElement>('model-url-load'),
  modelFiles: element<HTMLInputElement>('model-files'),
  inputRange: element<HTMLSelectElement>('input-range'),
  status: element<HTMLParagraphElement>('status'),
  videoMode: element<HTMLElement>('video-mode'),
  stillMode: element<HTMLElement>('still-mode'),
  source: element<HTMLSelectElement>('source'),
  videoFile: element<HTMLInputElement>('video-file'),
  pause: element<HTMLButtonElement>('pause'),
  overlay: element<HTMLCanvasElement>('overlay'),
  top3: element<HTMLOListElement>('top3'),
  fps: element<HTMLElement>('fps'),
  ms: element<HTMLElement>('ms'),
  counts: element<HTMLElement>('counts'),
  tensors: element<HTMLElement>('tensors'),
  thread: element<HTMLElement>('thread'),
  wasmThreads: element<HTMLElement>('wasm-threads'),
  longtasks: element<HTMLElement>('longtasks'),
  video: element<HTMLVideoElement>('video'),
  videoCaption: element<HTMLElement>('video-caption'),
  drop: element<HTMLDivElement>('drop'),
  imageFile: element<HTMLInputElement>('image-file'),
  stillHeatmap: element<HTMLCanvasElement>('still-heatmap'),
  stillOverlay: element<HTMLCanvasElement>('still-overlay'),
  stillTop3: element<HTMLOListElement>('still-top3'),
  download: element<HTMLButtonElement>('download'),
};

const params = new URLSearchParams(location.search);
const seed = Number.parseInt(params.get('seed') ?? '1', 10) || 1;
const shapeSeconds = Number.parseFloat(params.get('shapeSeconds') ?? '') || undefined;
const wantWorker = params.get('thread') !== 'main';

function fillSelect(select: HTMLSelectElement, values: readonly string[], initial: string | null): void {
  select.replaceChildren(...values.map((v) => new Option(v, v)));
  if (initial !== null && values.includes(initial)) select.value = initial;
}
fillSelect(ui.method, CAM_METHODS, params.get('method'));
fillSelect(ui.colormap, COLORMAPS, params.get('colormap'));
fillSelect(ui.backend, BACKENDS, params.get('backend'));
const opacityParam = Number.parseFloat(params.get('opacity') ?? '');
if (opacityParam >= 0 && opacityParam <= 1) ui.opacity.value = String(opacityParam);
ui.opacityValue.value = Number(ui.opacity.value).toFixed(2);
const sourceParam = params.get('source');
if (sourceParam === 'scene' || sourceParam === 'webcam' || sourceParam === 'file') ui.source.value = sourceParam;

const settings = {
  method: (): CamMethodName => ui.method.value as CamMethodName,
  colormap: (): ColormapName => ui.colormap.value as ColormapName,
  opacity: (): number => Number(ui.opacity.value),
};

const hook: PageHook = {
  ...freshLiveStats(),
  ready: false,
  error: '',
  mode: 'video',
  layer: '',
  stillLabel: '',
  stillRenders: 0,
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
};
window.__gradcam = hook;

function showStatus(text: string): void {
  ui.status.textContent = text;
  ui.status.classList.remove('error');
}

/** A mistake in what the user gave the page (a file that is not an image, …): shown, and logged as a warning, not an error. */
class UserInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserInputError';
  }
}

function showError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  ui.status.textContent = message;
  ui.status.classList.add('error');
  hook.error = message;
  // A bad choice (a method the model does not support, a camera refused, …) is the user's to
  // fix: a warning. Anything else is a bug: an error (the end-to-end test fails on those).
  if (err instanceof GradCamError || err instanceof DOMException || err instanceof BackendUnavailableError || err instanceof UserInputError) console.warn(err);
  else console.error(err);
}

function renderTop(list: HTMLOListElement, top: readonly Ranked[]): void {
  list.replaceChildren(
    ...top.map((r) => {
      const item = document.createElement('li');
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.max(0, Math.min(1, r.score)) * 6}rem`;
      item.append(`${r.label} ${r.score.toFixed(3)}`, bar);
      return item;
    }),
  );
}

/** Runs page actions one after another, so a change never overlaps another. */
let queue: Promise<void> = Promise.resolve();
function serial(action: () => Promise<void>): Promise<void> {
  queue = queue.then(action).catch(showError);
  return queue;
}

let explainer: Explainer;
let loop: LiveLoop;
/** The live loop explains in `workerWork` where it can, else on the page's thread with the page's explainer. */
const mainWork = new MainThreadWork(() => explainer);
let workerWork: WorkerWork | undefined;
const still = new StillView(ui.stillHeatmap, ui.stillOverlay);
let mode: 'video' | 'still' = params.get('mode') === 'still' ? 'still' : 'video';
let paused = false;

function onFrame(explained: { top: Ranked[] }, stats: LiveStats): void {
  Object.assign(hook, stats);
  renderTop(ui.top3, explained.top);
  const n = Math.max(1, stats.frames);
  ui.fps.textContent = stats.fps.toFixed(1);
  const drawn = stats.drawPath === 'device' ? '; drawn on the device' : stats.drawPath === 'readback' ? '; drawn after a read-back' : '';
  ui.ms.textContent = `${(stats.inferenceMs / n).toFixed(1)} + ${(stats.drawMs / n).toFixed(1)} ms (frame read ${(stats.captureMs / n).toFixed(1)} ms${drawn})`;
  const percent = (k: number): string => `${((100 * k) / stats.scored).toFixed(0)} %`;
  const score = stats.scored > 0 ? `; shape recognised in ${percent(stats.correct)}, peak on it in ${percent(stats.hits)}` : '';
  ui.counts.textContent = `${stats.frames} / ${stats.skipped}${score}`;
  ui.tensors.textContent = String(stats.numTensors);
  ui.wasmThreads.textContent = wasmThreadsText(stats);
  ui.longtasks.textContent = stats.longTasks === 0 ? 'none over 50 ms' : `${stats.longestTaskMs.toFixed(0)} ms (${stats.longTasks})`;
}

/** The wasm threads line: how many, and why only one where the page is not cross-origin isolated. */
function wasmThreadsText(stats: LiveStats): string {
  if (stats.backend !== 'wasm') return '– (not on wasm)';
  return hook.crossOriginIsolated ? String(stats.wasmThreads) : `${stats.wasmThreads} (the page is not cross-origin isolated: no COOP/COEP headers)`;
}

/** Pauses the live loop around a change, then resumes it where it should run. */
async function withLoopStopped(change: () => Promise<void> | void): Promise<void> {
  await loop.stop();
  try {
    await change();
  } finally {
    loop.resetStats();
    Object.assign(hook, loop.stats, { layer: explainer.layer });
    if (mode === 'video' && !paused) loop.start();
    if (mode === 'still') await renderStill();
  }
}

function fillLayers(): void {
  const auto = new Option(`auto (${explainer.layer})`, '');
  const shape = (s: ReadonlyArray<number | null>): string => s.slice(1).map((d) => d ?? '?').join('×');
  const choices = featureMapLayers(explainer.model).map((c) => new Option(`${c.name} — ${shape(c.shape)}`, c.name));
  ui.layer.replaceChildren(auto, ...choices);
  hook.layer = explainer.layer;
}

async function useExplainer(next: Explainer): Promise<void> {
  await withLoopStopped(() => {
    const old = explainer;
    explainer = next;
    old.dispose();
    fillLayers();
  });
}

// ---- where frames are explained --------------------------------------------------------------

function useWork(work: FrameWork, note: string): void {
  loop.setWork(work, note);
  ui.thread.textContent = work.thread === 'worker' ? 'a Web Worker (this page only draws)' : `the main thread: ${note}`;
  Object.assign(hook, loop.stats);
}

/** Explains the demo model in a worker where the browser can, else on the page's thread (and says why). */
async function useWorkerIfPossible(): Promise<void> {
  if (!wantWorker) return useWork(mainWork, 'the page was opened with ?thread=main.');
  if (!workerSupported()) return useWork(mainWork, 'this browser has no module workers, OffscreenCanvas or createImageBitmap.');
  try {
    workerWork ??= await WorkerWork.start(tf.getBackend() as BackendName, ui.layer.value, wasmThreadsParam(location.search));
    await workerWork.configure({ backend: tf.getBackend() as BackendName, layer: ui.layer.value, range: inputRange() });
    useWork(workerWork, '');
  } catch (err) {
    console.warn(err);
    workerWork?.terminate();
    workerWork = undefined;
    useWork(mainWork, `the worker could not start (${err instanceof Error ? err.message : String(err)}).`);
  }
}

/** Passes a change of backend, layer or input range on to the worker when it explains. */
async function configureWorker(settings: Parameters<WorkerWork['configure']>[0]): Promise<void> {
  if (loop.stats.thread === 'worker' && workerWork !== undefined) await workerWork.configure(settings);
}

// ---- sources -------------------------------------------------------------------------------

async function openSource(kind: string): Promise<FrameSource | undefined> {
  ui.video.hidden = true;
  ui.videoCaption.hidden = true;
  ui.videoFile.hidden = kind !== 'file';
  if (kind === 'scene') return new SceneSource(DEMO_IMAGE_SIZE, seed, shapeSeconds);
  const video = ui.video;
  if (kind === 'webcam') {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    video.srcObject = stream;
    await video.play();
    ui.video.hidden = ui.videoCaption.hidden = false;
    return new VideoSource(video, ui.overlay.width, () => {
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = null;
    });
  }
  const file = ui.videoFile.files?.[0];
  if (file === undefined) {
    showStatus('Pick a video file.');
    return undefined;
  }
  const url = URL.createObjectURL(file);
  video.src = url;
  await video.play();
  ui.video.hidden = ui.videoCaption.hidden = false;
  return new VideoSource(video, ui.overlay.width, () => {
    video.pause();
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  });
}

async function switchSource(): Promise<void> {
  loop.setSource(undefined); // releases the camera or file first
  const source = await openSource(ui.source.value);
  loop.setSource(source);
  if (source !== undefined) showStatus('');
}

// ---- still mode ----------------------------------------------------------------------------

/** A demo scene as a canvas: the still picture before the user picks one. */
function sceneCanvas(sceneSeed: number): HTMLCanvasElement {
  const { image } = renderScene(sceneSeed);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = DEMO_IMAGE_SIZE;
  const pixels = new ImageData(DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE);
  for (let i = 0, j = 0; i < image.length; i += 3, j += 4) {
    pixels.data[j] = Math.round(255 * image[i]);
    pixels.data[j + 1] = Math.round(255 * image[i + 1]);
    pixels.data[j + 2] = Math.round(255 * image[i + 2]);
    pixels.data[j + 3] = 255;
  }
  canvas.getContext('2d')?.putImageData(pixels, 0, 0);
  return canvas;
}

async function renderStill(): Promise<void> {
  if (!still.ready) still.setPicture(sceneCanvas(seed));
  const top = await still.render(explainer, settings.method(), settings.colormap(), settings.opacity());
  renderTop(ui.stillTop3, top);
  ui.download.disabled = false;
  hook.stillLabel = top[0]?.label ?? '';
  hook.stillRenders++;
  hook.numTensors = tf.memory().numTensors;
}

async function pickImage(file: File | undefined): Promise<void> {
  if (file === undefined) return;
  if (!file.type.startsWith('image/')) throw new UserInputError(`${file.name} is not an image: drop or pick an image file (PNG, JPEG, …).`);
  const bitmap = await createImageBitmap(file);
  try {
    still.setPicture(bitmap);
  } finally {
    bitmap.close();
  }
  await renderStill();
}

async function setMode(next: 'video' | 'still'): Promise<void> {
  mode = next;
  hook.mode = next;
  ui.tabVideo.setAttribute('aria-selected', String(next === 'video'));
  ui.tabStill.setAttribute('aria-selected', String(next === 'still'));
  ui.videoMode.hidden = next !== 'video';
  ui.stillMode.hidden = next !== 'still';
  await withLoopStopped(() => {});
}

// ---- user models ---------------------------------------------------------------------------

function inputRange(): [number, number] {
  const [low, high] = ui.inputRange.value.split(',').map(Number);
  return [low, high];
}

async function loadUserModel(from: string | File[]): Promise<void> {
  showStatus('Loading the model…');
  let model: PageModel;
  // loadModel repairs what tensorflowjs_converter writes from Keras 2 and 3 models, and makes
  // a GraphModel of a graph-format model.json with tfjs-converter's loader.
  if (typeof from === 'string') {
    model = await loadModel(from, { loadGraphModel });
  } else {
    const json = from.find((f) => f.name.endsWith('.json'));
    if (json === undefined) throw new UserInputError('Pick the model.json file together with its weight files (.bin).');
    model = await loadModel(tf.io.browserFiles([json, ...from.filter((f) => f !== json)]), { loadGraphModel });
  }
  let next: Explainer;
  try {
    next = new Explainer(model, [], inputRange());
  } catch (err) {
    model.dispose();
    throw err;
  }
  await useExplainer(next);
  await withLoopStopped(() => useWork(mainWork, 'your own model is explained on the page\'s thread (the worker has the demo model only).'));
  const [h, w] = next.inputSize;
  showStatus(`Loaded a model with input ${h}×${w}, target layer ${next.layer}.`);
}

async function loadDemo(): Promise<void> {
  const model = await loadDemoModel();
  await useExplainer(new Explainer(model, DEMO_CLASSES, [0, 1]));
  await withLoopStopped(useWorkerIfPossible);
  showStatus('');
}

// ---- wiring --------------------------------------------------------------------------------

function wire(): void {
  ui.tabVideo.addEventListener('click', () => void serial(() => setMode('video')));
  ui.tabStill.addEventListener('click', () => void serial(() => setMode('still')));
  ui.method.addEventListener('change', () => void serial(() => withLoopStopped(() => {})));
  ui.colormap.addEventListener('change', () => void serial(() => (mode === 'still' ? renderStill() : Promise.resolve())));
  ui.opacity.addEventListener('input', () => {
    ui.opacityValue.value = Number(ui.opacity.value).toFixed(2);
  });
  ui.opacity.addEventListener('change', () => void serial(() => (mode === 'still' ? renderStill() : Promise.resolve())));
  ui.backend.addEventListener('change', () => {
    const name = ui.backend.value;
    if (!isBackendName(name)) return;
    void serial(() => switchBackend(name));
  });
  ui.layer.addEventListener(
    'change',
    () =>
      void serial(() =>
        withLoopStopped(async () => {
          explainer.replan(ui.layer.value || undefined);
          await configureWorker({ layer: ui.layer.value });
        }),
      ),
  );
  for (const radio of Array.from(document.querySelectorAll<HTMLInputElement>('input[name="model"]'))) {
    radio.addEventListener('change', () => {
      ui.userModel.hidden = radio.value !== 'user';
      if (radio.value === 'demo') void serial(loadDemo);
    });
  }
  ui.modelUrlLoad.addEventListener('click', () => void serial(() => loadUserModel(ui.modelUrl.value.trim())));
  ui.modelFiles.addEventListener('change', () => void serial(() => loadUserModel(Array.from(ui.modelFiles.files ?? []))));
  ui.inputRange.addEventListener(
    'change',
    () =>
      void serial(() =>
        withLoopStopped(async () => {
          explainer.setRange(inputRange());
          await configureWorker({ range: inputRange() });
        }),
      ),
  );
  ui.source.addEventListener('change', () => {
    if (ui.source.value === 'file') ui.videoFile.hidden = false;
    void serial(switchSource);
  });
  ui.videoFile.addEventListener('change', () => void serial(switchSource));
  ui.pause.addEventListener('click', () => {
    paused = !paused;
    ui.pause.textContent = paused ? 'Resume' : 'Pause';
    void serial(() => withLoopStopped(() => {}));
  });
  ui.imageFile.addEventListener('change', () => void serial(() => pickImage(ui.imageFile.files?.[0])));
  ui.drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    ui.drop.classList.add('over');
  });
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
  ui.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.drop.classList.remove('over');
    void serial(() => pickImage(e.dataTransfer?.files[0]));
  });
  ui.download.addEventListener('click', () => still.download());
}

/** Marks a backend the browser could not start as unavailable in the list, so it is not picked again by mistake. */
function markUnavailable(name: BackendName): void {
  const option = Array.from(ui.backend.options).find((o) => o.value === name);
  if (option === undefined) return;
  option.disabled = true;
  option.textContent = `${name} (not available here)`;
}

async function switchBackend(name: BackendName): Promise<void> {
  await withLoopStopped(async () => {
    const before = tf.getBackend();
    try {
      await useBackend(name);
    } catch (err) {
      ui.backend.value = before;
      if (err instanceof BackendUnavailableError) markUnavailable(name);
      throw err;
    }
    explainer.replan(); // GradCam's cached kernels belong to the old backend
    await configureWorker({ backend: name });
    hook.backend = tf.getBackend();
  });
}

/** Starts the backend chosen in the list (or by `?backend=`); one the browser cannot run falls back to wasm, with a warning. */
async function startBackend(): Promise<string> {
  const backend = ui.backend.value;
  if (!isBackendName(backend)) return '';
  try {
    await useBackend(backend);
    return '';
  } catch (err) {
    if (!(err instanceof BackendUnavailableError) || backend === 'wasm') throw err;
    console.warn(err);
    markUnavailable(backend);
    ui.backend.value = 'wasm';
    await useBackend('wasm');
    return `${err.message} Using wasm instead.`;
  }
}

async function start(): Promise<void> {
  showStatus('Loading…');
  const fellBack = await startBackend();
  explainer = new Explainer(await loadDemoModel(), DEMO_CLASSES, [0, 1]);
  loop = new LiveLoop(mainWork, ui.overlay, settings, onFrame, showError);
  fillLayers();
  await useWorkerIfPossible();
  wire();
  hook.backend = tf.getBackend();
  await switchSource();
  await setMode(mode);
  hook.ready = true;
  showStatus(fellBack);
}

void serial(start);
