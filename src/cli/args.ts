import { parseArgs } from 'node:util';
import { COLORMAPS, type ColormapName, isColormapName } from '../core/colormap';
import { PREPROCESS_MODES, type PreprocessMode } from '../core/preprocess';
import { GradCamError } from '../errors';
import { CAM_METHODS, type CamMethodName } from '../methods/method';
import { DEFAULT_MAX_PIXELS, type PixelScale } from '../node/image';
import { messageOf } from '../node/message';

/** A mistake on the command line: reported with a pointer to `--help`, exit status 2. */
export class UsageError extends GradCamError {
  constructor(message: string) {
    super('BAD_OPTION', message);
  }
}

/** The backends the command can run on. */
export const BACKENDS = ['wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

const SCALES: readonly PixelScale[] = ['0-1', '-1-1', 'none'];

/** What `tfjs-gradcam explain` was asked to do, checked. */
export interface ExplainArgs {
  readonly inputs: readonly string[];
  /** A model.json path; undefined: the demo model. */
  readonly model?: string;
  readonly layers?: readonly string[];
  /** A class index or name (a name is resolved once the labels are known). */
  readonly classTarget?: number | string;
  readonly topK?: number;
  readonly method: CamMethodName;
  /** The model output to explain (`--output`), for a model with several. */
  readonly output?: string;
  /** Faster-ScoreCAM: channels scored per image (`--max-channels`, scorecam and ablationcam). */
  readonly maxChannels?: number;
  readonly colormap: ColormapName;
  readonly alpha: number;
  readonly out: string;
  readonly json: boolean;
  readonly labels?: string;
  readonly backend: BackendName;
  /** Undefined: what the model needs (the demo model: '0-1'). */
  readonly scale?: PixelScale;
  readonly mean?: readonly [number, number, number];
  readonly std?: readonly [number, number, number];
  /** keras.applications preprocessing by name; excludes scale, mean and std. */
  readonly preprocess?: PreprocessMode;
  /** Largest image accepted, in pixels (checked before decoding). */
  readonly maxPixels: number;
  readonly quiet: boolean;
  /** Add each map's faithfulness metrics (tfjs-gradcam/metrics) to the output and the summary. */
  readonly metrics: boolean;
  /** `--jobs`: worker threads; undefined: the core count, at most 4; 1: all in this thread. */
  readonly jobs?: number;
}

/** The parsed command line. */
export type Command = { readonly kind: 'help' } | { readonly kind: 'version' } | { readonly kind: 'explain'; readonly args: ExplainArgs };

/** The default output folder. */
export const DEFAULT_OUT = 'gradcam-out';

const OPTIONS = {
  model: { type: 'string', short: 'm' },
  layer: { type: 'string', short: 'l', multiple: true },
  class: { type: 'string', short: 'c' },
  'top-k': { type: 'string', short: 'k' },
  method: { type: 'string' },
  output: { type: 'string' },
  'max-channels': { type: 'string' },
  colormap: { type: 'string' },
  alpha: { type: 'string', short: 'a' },
  out: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
  metrics: { type: 'boolean' },
  labels: { type: 'string' },
  backend: { type: 'string' },
  scale: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  preprocess: { type: 'string' },
  'max-pixels': { type: 'string' },
  jobs: { type: 'string', short: 'j' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/**
 * Parses and checks the arguments after the program name.
 *
 * @throws UsageError for anything wrong on the command line.
 */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: joinDashValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(parseErrorMessage(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, ...inputs] = positionals;
  if (command === undefined) throw new UsageError('no command given.');
  if (command === 'help') return { kind: 'help' };
  if (command !== 'explain') throw new UsageError(`unknown command '${command}' (the command is 'explain').`);
  if (inputs.length === 0) throw new UsageError('no images given: name image files or folders after explain.');

  if (values.class !== undefined && values['top-k'] !== undefined) throw new UsageError('--class and --top-k exclude each other.');
  if (values.preprocess !== undefined && (values.scale !== undefined || values.mean !== undefined || values.std !== undefined)) {
    throw new UsageError('--preprocess sets the whole preprocessing: leave out --scale, --mean and --std.');
  }
  const layers = values.layer?.flatMap((l) => l.split(',')).map((l) => l.trim());
  if (layers?.some((l) => l === '')) throw new UsageError('--layer needs a layer name.');
  const method = oneOf('--method', values.method ?? 'gradcam', CAM_METHODS);
  const maxChannels = values['max-channels'] === undefined ? undefined : positiveInt('--max-channels', values['max-channels']);
  if (maxChannels !== undefined && method !== 'scorecam' && method !== 'ablationcam') {
    throw new UsageError(`--max-channels applies to --method scorecam or ablationcam (got ${method}).`);
  }

  return {
    kind: 'explain',
    args: {
      inputs,
      model: nonEmpty('--model', values.model),
      layers,
      classTarget: values.class === undefined ? undefined : classTarget(values.class),
      topK: values['top-k'] === undefined ? undefined : positiveInt('--top-k', values['top-k']),
      method,
      output: nonEmpty('--output', values.output),
      maxChannels,
      colormap: colormap(values.colormap ?? 'jet'),
      alpha: alpha(values.alpha ?? '0.4'),
      out: nonEmpty('--out', values.out) ?? DEFAULT_OUT,
      json: values.json ?? false,
      labels: nonEmpty('--labels', values.labels),
      backend: oneOf('--backend', values.backend ?? 'wasm', BACKENDS),
      scale: values.scale === undefined ? undefined : oneOf('--scale', values.scale, SCALES),
      mean: values.mean === undefined ? undefined : triple('--mean', values.mean, false),
      std: values.std === undefined ? undefined : triple('--std', values.std, true),
      preprocess: values.preprocess === undefined ? undefined : oneOf('--preprocess', values.preprocess, PREPROCESS_MODES),
      maxPixels: values['max-pixels'] === undefined ? DEFAULT_MAX_PIXELS : positiveInt('--max-pixels', values['max-pixels']),
      quiet: values.quiet ?? false,
      metrics: values.metrics ?? false,
      jobs: values.jobs === undefined ? undefined : jobCount(values.jobs),
    },
  };
}

/**
 * `--scale -1-1` or `--mean -0.5,0,0`: parseArgs refuses a value that starts with a dash
 * (it could be a forgotten value); a dash followed by a digit is a number, so join it.
 */
function joinDashValues(argv: readonly string[]): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(OPTIONS)) {
    if (spec.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if ('short' in spec) takesValue.add(`-${spec.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (takesValue.has(argv[i]) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${argv[i]}=${next}`.replace(/^-(\w)=/, '-$1')); // short options take `-k-1`
      i++;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

function parseErrorMessage(err: unknown): string {
  const message = messageOf(err);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option '${unknown[1]}'.`;
  return message.split('\n')[0].replace(/^Option/, 'option');
}

function nonEmpty(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${name} needs a value.`);
  return value;
}

function oneOf<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${name} must be one of: ${choices.join(', ')} (got '${value}').`);
  }
  return value as T;
}

function colormap(value: string): ColormapName {
  if (!isColormapName(value)) throw new UsageError(`--colormap must be one of: ${COLORMAPS.join(', ')} (got '${value}').`);
  return value;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer (got '${value}').`);
  return n;
}

/** At most 64 workers, as the pool takes. */
function jobCount(value: string): number {
  const n = positiveInt('--jobs', value);
  if (n > 64) throw new UsageError(`--jobs must be at most 64 (got ${n}).`);
  return n;
}

function classTarget(value: string): number | string {
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  if (value.trim() === '' || /^\s*-/.test(value)) throw new UsageError(`--class must be a class index (0, 1, …) or a class name (got '${value}').`);
  return value.trim();
}

function alpha(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new UsageError(`--alpha is the heatmap's opacity, a number from 0 to 1 (got '${value}').`);
  return n;
}

function triple(name: string, value: string, positive: boolean): [number, number, number] {
  const parts = value.split(',').map((p) => p.trim());
  const nums = parts.map(Number);
  const ok = parts.length === 3 && parts.every((p) => p !== '') && nums.every((n) => Number.isFinite(n) && (!positive || n > 0));
  if (!ok) throw new UsageError(`${name} must be three ${positive ? 'positive ' : ''}numbers r,g,b, e.g. ${name} ${positive ? '0.229,0.224,0.225' : '0.485,0.456,0.406'} (got '${value}').`);
  return [nums[0], nums[1], nums[2]];
}
