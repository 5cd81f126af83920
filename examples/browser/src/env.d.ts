/** Vite turns `import url from './file?url'` into the URL of the file, copied into the build's assets. */
declare module '*.wasm?url' {
  const url: string;
  export default url;
}
