// tfjs-backend-wasm's ES module imports `fs`, `path`, `os` and `perf_hooks` for Node.js and uses
// them only there. A page has no such modules: the import map points all four at this empty one.
export default {};
