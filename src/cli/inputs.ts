import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** Extensions taken from folders (files named on the command line are tried whatever their name). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'] as const;

/** One image to explain, or a named path that is not there. */
export type InputItem = { readonly file: string } | { readonly file: string; readonly error: string };

/**
 * Expands the command line's paths into image files, in order: a file as itself, a folder as
 * the images directly in it (sorted by name). A path that does not exist, or a folder without
 * images, becomes an error item, so it is reported along with the images.
 */
export async function collectInputs(paths: readonly string[]): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for (const p of paths) {
    const stat = await fs.stat(p).catch(() => undefined);
    if (stat === undefined) {
      items.push({ file: p, error: `Cannot read ${p}: no such file or folder.` });
    } else if (stat.isDirectory()) {
      const entries = await fs.readdir(p, { withFileTypes: true }).catch(() => undefined);
      if (entries === undefined) {
        items.push({ file: p, error: `Cannot read the folder ${p}.` });
        continue;
      }
      const images = entries
        .filter((e) => e.isFile() && (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(e.name).toLowerCase()))
        .map((e) => e.name)
        .sort();
      if (images.length === 0) items.push({ file: p, error: `No images in the folder ${p} (looked for ${IMAGE_EXTENSIONS.join(', ')}).` });
      for (const name of images) items.push({ file: path.join(p, name) });
    } else {
      items.push({ file: p });
    }
  }
  return items;
}

/**
 * A unique output stem for each file: its name without extension, with `-2`, `-3`, … added
 * when two inputs share a name (e.g. `a/cat.png` and `b/cat.jpg`).
 */
export function outputStems(files: readonly string[]): string[] {
  const used = new Set<string>();
  return files.map((file) => {
    const base = path.basename(file, path.extname(file)) || 'image';
    let stem = base;
    for (let i = 2; used.has(stem.toLowerCase()); i++) stem = `${base}-${i}`;
    used.add(stem.toLowerCase());
    return stem;
  });
}
