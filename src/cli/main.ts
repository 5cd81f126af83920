/**
 * The `tfjs-gradcam` command (package `bin`): `tfjs-gradcam explain <images or folders...>`.
 * See `tfjs-gradcam --help` and docs/cli.md.
 */
import { runCli } from './cli';

// `tfjs-gradcam explain … | head`: stop quietly when the reader goes away, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tfjs-gradcam: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
