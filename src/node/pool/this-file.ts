/** The path of the running module file (CommonJS, jest); the ESM build uses this-file.esm.ts. @internal */
export function thisFile(): string {
  return __filename;
}
