import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CAM_METHODS, COLORMAPS, GradCamError } from '../../src';
import { DEMO_CLASSES } from '../../src/demo';
import { type Command, type ExplainArgs, UsageError, parseCommandLine } from '../../src/cli/args';
import { helpText } from '../../src/cli/help';
import { collectInputs, outputStems } from '../../src/cli/inputs';

function explainArgs(argv: string[]): ExplainArgs {
  const command: Command = parseCommandLine(argv);
  if (command.kind !== 'explain') throw new Error(`expected explain, got ${command.kind}`);
  return command.args;
}

function usageError(argv: string[]): string {
  let caught: unknown;
  try {
    parseCommandLine(argv);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(UsageError);
  expect(caught).toBeInstanceOf(GradCamError);
  expect((caught as GradCamError).code).toBe('BAD_OPTION');
  return (caught as Error).message;
}

describe('parseCommandLine', () => {
  it('has defaults for everything but the images', () => {
    expect(explainArgs(['explain', 'a.png', 'dir'])).toEqual({
      inputs: ['a.png', 'dir'],
      model: undefined,
      layers: undefined,
      classTarget: undefined,
      topK: undefined,
      method: 'gradcam',
      colormap: 'jet',
      alpha: 0.4,
      out: 'gradcam-out',
      json: false,
      labels: undefined,
      backend: 'wasm',
      scale: undefined,
      mean: undefined,
      std: undefined,
      maxPixels: 50_000_000,
      quiet: false,
      metrics: false,
      jobs: undefined,
    });
  });

  it('reads every option, long and short, before or after the images', () => {
    const args = explainArgs([
      'explain', 'a.png', '-m', 'm/model.json', '--layer', 'conv1', '-l', 'outer/conv2', '-k', '2', '--method', 'gradcam++',
      '--colormap', 'turbo', '-a', '0.7', '-o', 'maps', '--json', '--labels', 'l.txt', '--backend', 'cpu', '--scale', 'none',
      '--mean', '103.9, 116.8,123.7', '--std=1,2,3', '-q', '--metrics', 'b.jpg', '--max-pixels', '4096', '-j', '3',
    ]);
    expect(args).toMatchObject({
      inputs: ['a.png', 'b.jpg'], model: 'm/model.json', layers: ['conv1', 'outer/conv2'], topK: 2, method: 'gradcam++',
      colormap: 'turbo', alpha: 0.7, out: 'maps', json: true, labels: 'l.txt', backend: 'cpu', scale: 'none',
      mean: [103.9, 116.8, 123.7], std: [1, 2, 3], maxPixels: 4096, quiet: true, metrics: true, jobs: 3,
    });
  });

  it('takes --output and --max-channels (the latter for scorecam and ablationcam only)', () => {
    expect(explainArgs(['explain', 'a.png', '--output', 'cls', '--method', 'scorecam', '--max-channels', '64'])).toMatchObject({
      output: 'cls',
      method: 'scorecam',
      maxChannels: 64,
    });
    expect(explainArgs(['explain', 'a.png', '--method', 'ablationcam', '--max-channels=8']).maxChannels).toBe(8);
    expect(usageError(['explain', 'a.png', '--max-channels', '8'])).toMatch(/--max-channels applies to --method scorecam or ablationcam \(got gradcam\)/);
    expect(usageError(['explain', 'a.png', '--method', 'scorecam', '--max-channels', '0'])).toMatch(/--max-channels must be a positive integer \(got '0'\)/);
    expect(usageError(['explain', 'a.png', '--output', ''])).toMatch(/--output needs a value/);
  });

  it('takes values that start with a dash and a digit: --scale -1-1, --mean -0.5,…', () => {
    expect(explainArgs(['explain', 'a.png', '--scale', '-1-1']).scale).toBe('-1-1');
    expect(explainArgs(['explain', 'a.png', '--mean', '-0.5,0,0.5']).mean).toEqual([-0.5, 0, 0.5]);
    // A dash that is not a number is still an option, not a value.
    expect(usageError(['explain', 'a.png', '--model', '--json'])).toMatch(/--model/);
  });

  it('takes a class as an index or a name', () => {
    expect(explainArgs(['explain', 'a.png', '--class', '3']).classTarget).toBe(3);
    expect(explainArgs(['explain', 'a.png', '-c', 'star']).classTarget).toBe('star');
  });

  it.each([
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [[], /no command given/],
    [['explain'], /no images given/],
    [['explane', 'a.png'], /unknown command 'explane'/],
    [['explain', 'a.png', '--alpha', '1.5'], /--alpha .* from 0 to 1 \(got '1\.5'\)/],
    [['explain', 'a.png', '--alpha', 'x'], /--alpha/],
    [['explain', 'a.png', '--method', 'gradcam+'], new RegExp(`--method must be one of: ${CAM_METHODS.join(', ').replace(/\+/g, '\\+')}`)],
    [['explain', 'a.png', '--colormap', 'rainbow'], new RegExp(`--colormap must be one of: ${COLORMAPS.join(', ')}`)],
    [['explain', 'a.png', '--top-k', '0'], /--top-k must be a positive integer/],
    [['explain', 'a.png', '--top-k', '1.5'], /--top-k must be a positive integer/],
    [['explain', 'a.png', '--class', '-1'], /--class must be a class index/],
    [['explain', 'a.png', '--class', '1', '--top-k', '2'], /--class and --top-k exclude each other/],
    [['explain', 'a.png', '--backend', 'webgl'], /--backend must be one of: wasm, cpu/],
    [['explain', 'a.png', '--scale', '0-255'], /--scale must be one of: 0-1, -1-1, none/],
    [['explain', 'a.png', '--mean', '1,2'], /--mean must be three numbers/],
    [['explain', 'a.png', '--std', '1,0,1'], /--std must be three positive numbers/],
    [['explain', 'a.png', '--model'], /--model/],
    [['explain', 'a.png', '--out', ''], /--out needs a value/],
    [['explain', 'a.png', '--json=yes'], /--json/],
    [['explain', 'a.png', '--max-pixels', '0'], /--max-pixels must be a positive integer/],
    [['explain', 'a.png', '--jobs', '0'], /--jobs must be a positive integer/],
    [['explain', 'a.png', '-j', '65'], /--jobs must be at most 64 \(got 65\)/],
    [['explain', 'a.png', '--max-pixels', '1e6'], /--max-pixels must be a positive integer/],
  ])('rejects %j', (argv, pattern) => {
    expect(usageError(argv as string[])).toMatch(pattern as RegExp);
  });

  it('answers --help, -h, help and --version', () => {
    expect(parseCommandLine(['--help']).kind).toBe('help');
    expect(parseCommandLine(['explain', '-h']).kind).toBe('help');
    expect(parseCommandLine(['help']).kind).toBe('help');
    expect(parseCommandLine(['-V']).kind).toBe('version');
  });
});

describe('helpText', () => {
  const help = helpText();

  it('lists every option the parser takes, every method and colour map', () => {
    for (const option of ['--model', '--layer', '--labels', '--scale', '--mean', '--std', '--class', '--top-k', '--method', '--colormap', '--alpha', '--out', '--json', '--quiet', '--metrics', '--backend', '--max-pixels', '--help', '--version']) {
      expect(help).toContain(option);
    }
    for (const name of [...CAM_METHODS, ...COLORMAPS]) expect(help).toMatch(new RegExp(`[ ,]${name.replace(/\+/g, '\\+')}[ ,(\\n]`));
    expect(help).toMatch(/Exit status:\n {2}0 .*\n {2}1 .*\n(.*\n)* {2}2 /);
  });

  it("names the demo model's classes", () => {
    expect(help).toContain(`(${DEMO_CLASSES.join(', ')})`);
  });

  it('fits in 80 columns', () => {
    const long = help.split('\n').filter((line) => line.length > 80);
    expect(long).toEqual([]);
  });
});

describe('inputs', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-inputs-'));
    for (const name of ['b.PNG', 'a.jpg', 'c.webp', 'notes.txt', 'd.jpeg']) fs.writeFileSync(path.join(dir, name), '');
    fs.mkdirSync(path.join(dir, 'nested'));
    fs.writeFileSync(path.join(dir, 'nested', 'deep.png'), '');
    fs.mkdirSync(path.join(dir, 'empty'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('expands a folder into its images, sorted, not recursing; keeps named files; reports missing paths', async () => {
    const items = await collectInputs([dir, path.join(dir, 'notes.txt'), path.join(dir, 'missing.png'), path.join(dir, 'empty')]);
    expect(items.map((i) => path.relative(dir, i.file))).toEqual(['a.jpg', 'b.PNG', 'c.webp', 'd.jpeg', 'notes.txt', 'missing.png', 'empty']);
    expect(items.map((i) => ('error' in i ? i.error.replace(dir, 'DIR') : 'ok'))).toEqual([
      'ok', 'ok', 'ok', 'ok', 'ok',
      'Cannot read DIR/missing.png: no such file or folder.',
      'No images in the folder DIR/empty (looked for .png, .jpg, .jpeg, .webp).',
    ]);
  });

  it('gives each output a unique stem', () => {
    expect(outputStems(['a/cat.png', 'b/cat.jpg', 'Cat.webp', 'dog.png', 'x/cat-2.png'])).toEqual(['cat', 'cat-2', 'Cat-3', 'dog', 'cat-2-2']);
  });
});

describe('--preprocess', () => {
  it("takes keras.applications' modes by name", () => {
    expect(explainArgs(['explain', 'a.png', '--preprocess', 'caffe']).preprocess).toBe('caffe');
    expect(explainArgs(['explain', 'a.png', '--preprocess', 'none']).preprocess).toBe('none');
    expect(explainArgs(['explain', 'a.png']).preprocess).toBeUndefined();
  });

  it('refuses an unknown mode, and --scale, --mean or --std beside it', () => {
    expect(usageError(['explain', 'a.png', '--preprocess', 'bgr'])).toMatch(/--preprocess.*caffe/);
    expect(usageError(['explain', 'a.png', '--preprocess', 'tf', '--scale', '0-1'])).toMatch(/leave out --scale/);
    expect(usageError(['explain', 'a.png', '--preprocess', 'tf', '--mean', '1,2,3'])).toMatch(/leave out/);
  });
});
