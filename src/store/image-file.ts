/**
 * The area image on disk: written whole to a temporary file and synced, then
 * put in place by a rename whose directory is synced too, so a crash at any
 * point leaves either the image before or the new one, never part of one.
 * Which image the database names is the store's business (sqlite-schema.ts).
 */
import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encodeAreaImage, IMAGE_TOKEN_BYTES } from './area-image.js';
import type { EncodedAreaList } from './area-list-codec.js';

/** An image file written and synced. */
export interface WrittenImage {
  /** The token it was written under, in hex (what the database names it by). */
  readonly token: string;
  readonly bytes: number;
  readonly areas: number;
}

/** Writes `list` as an image under a new token to `tmp` and syncs it. */
export async function writeImageFile(list: EncodedAreaList, tmp: string): Promise<WrittenImage> {
  const token = randomBytes(IMAGE_TOKEN_BYTES);
  const data = encodeAreaImage(list, token);
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  return { token: token.toString('hex'), bytes: data.length, areas: list.starts.length };
}

/** Puts the written file `tmp` in place as `path`, and syncs their directory. */
export async function installImageFile(tmp: string, path: string): Promise<void> {
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
