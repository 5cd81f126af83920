import { fileURLToPath } from 'node:url';

/** The path of the running module file, in the ESM build (tsup resolves `./this-file` here). @internal */
export function thisFile(): string {
  return fileURLToPath(import.meta.url);
}
