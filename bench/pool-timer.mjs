// One timed run of the worker pool, in a plain `node` process: bench/pool.ts starts it so that
// the pool's workers inherit no loader hooks (the benchmarks run under tsx, whose module hooks a
// worker would inherit: ~0.4 s more start-up per worker than a user of the built package pays).
// argv[2]: JSON { node: path of dist/node.js, model, images: [paths], workers }.
// Prints one JSON line: the wall time from the call to the last result, and each result's time.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const spec = JSON.parse(process.argv[2]);
const { explainInWorkers } = await import(pathToFileURL(spec.node).href);
const start = performance.now();
const ends = [];
const run = await explainInWorkers(spec.images, {
  model: spec.model,
  workers: spec.workers,
  backend: 'wasm',
  onProgress: () => ends.push((performance.now() - start) / 1000),
});
const seconds = (performance.now() - start) / 1000;
const failed = run.results.filter((r) => !r.ok).length;
console.log(JSON.stringify({ seconds, ends, failed, tensorsLeft: run.tensorsLeft }));
