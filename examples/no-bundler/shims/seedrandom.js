// tfjs-backend-cpu's ES module does `import * as seedrandom from 'seedrandom'` and calls
// `seedrandom.alea(seed)`. seedrandom is CommonJS; its `lib/alea.js`, loaded first as a classic
// <script>, defines `alea` on the global object. This module hands it on under the ES name.
const alea = globalThis.alea;
if (typeof alea !== 'function') {
  throw new Error('seedrandom: load node_modules/seedrandom/lib/alea.js with a classic <script> before the import map.');
}
export { alea };
export default { alea };
