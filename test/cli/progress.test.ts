import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runCli } from '../../src/cli/cli';
import { type OutputStream, ProgressBar } from '../../src/cli/progress';
import { type Fixtures, makeFixtures } from './fixtures';

/** A stream that records what is written, as a terminal or as a pipe. */
function capture(isTTY: boolean): OutputStream & { text: string } {
  const stream = {
    text: '',
    isTTY,
    columns: 80,
    write(chunk: string): boolean {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

describe('ProgressBar', () => {
  it('draws in place on a terminal, clears, and redraws', () => {
    const tty = capture(true);
    const bar = new ProgressBar(tty, 4, true);
    bar.update(1, 'images/cat.png');
    expect(tty.text).toMatch(/^\r\x1b\[2K\[=+> +\] 1\/4 images\/cat\.png$/);
    const frame = tty.text;
    bar.clear();
    expect(tty.text).toBe(`${frame}\r\x1b[2K`);
    bar.redraw();
    expect(tty.text.endsWith(frame)).toBe(true);
    bar.update(4, '');
    expect(tty.text).toMatch(/\[=+\] 4\/4 $/);
  });

  it('keeps long names within the terminal width', () => {
    const tty = capture(true);
    new ProgressBar(tty, 10, true).update(3, `${'very-long-folder/'.repeat(10)}dog.png`);
    const line = tty.text.replace('\r\x1b[2K', '');
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/….*dog\.png$/);
  });

  it('writes nothing when off', () => {
    const pipe = capture(false);
    const bar = new ProgressBar(pipe, 4, false);
    bar.update(1, 'a');
    bar.clear();
    bar.redraw();
    expect(pipe.text).toBe('');
  });
});

describe('runCli progress and summary', () => {
  let dir: string;
  let fx: Fixtures;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-progress-'));
    fx = await makeFixtures(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[], stderrIsTTY: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = capture(false);
    const stderr = capture(stderrIsTTY);
    // --jobs 1: in this process (from the sources, no built worker script); cli.test.ts runs --jobs 2.
    const code = await runCli(['explain', '--backend', 'cpu', '--jobs', '1', '--model', fx.model, '-o', path.join(dir, 'out'), ...args], { stdout, stderr });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('shows a bar on a terminal, keeps it off stdout, and ends with a clean summary line', async () => {
    const { code, stdout, stderr } = await run([fx.images, fx.broken], true);
    expect(code).toBe(1);
    expect(stdout).not.toMatch(/\x1b/);
    expect(stdout.trim().split('\n')).toHaveLength(2);
    expect(stderr).toMatch(/\] 0\/3 /);
    expect(stderr).toMatch(/\] 2\/3 /);
    // The error line is printed on a cleared line, not glued to the bar.
    expect(stderr).toMatch(/\r\x1b\[2Ktfjs-gradcam: Cannot read .*broken\.png: not a PNG, JPEG or WebP image\.\n/);
    const last = stderr.split('\r\x1b[2K').pop() as string;
    expect(last).toMatch(/^Explained 2 of 3 images in \d+\.\d s; 1 failed \(see above\); wrote 4 files to .*out\/\n$/);
  });

  it('shows no bar when stderr is not a terminal, or for one image', async () => {
    expect((await run([fx.images], false)).stderr).not.toMatch(/\x1b|\r/);
    expect((await run([fx.red], true)).stderr).not.toMatch(/\x1b|\r/);
  });

  it('leaves no tensors behind, whether images succeed or fail', async () => {
    await run([fx.red], false); // first run: backend and kernel set-up
    const before = tf.memory().numTensors;
    expect((await run(['-k', '2', fx.images, fx.broken, fx.grey], false)).code).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('--quiet drops the bar and the summary, not the results or errors', async () => {
    const { code, stdout, stderr } = await run(['-q', fx.images, fx.broken], true);
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toHaveLength(2);
    expect(stderr).toMatch(/^tfjs-gradcam: Cannot read .*broken\.png/);
    expect(stderr).not.toMatch(/Explained|\x1b/);
  });
});
