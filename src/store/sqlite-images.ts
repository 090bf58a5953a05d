/**
 * The area images of a SQLite store, kept by its worker thread (which owns
 * the connection): the epoch commits write in, when an image is cut, and
 * naming each one once its file is whole (the layout: sqlite-schema.ts).
 *
 * Images are written:
 * - at a start that read rows changed since the named image (or had none):
 *   the areas read, cut at once and written once vmapd listens (`listening`:
 *   encoding 1M areas is CPU the start needs), so a crash from then on reads
 *   few rows;
 * - while vmapd runs, once `imageAfterChanges` rows have changed since the
 *   last cut and at least IMAGE_MIN_INTERVAL_MS after it: a thread of its
 *   own reads and writes the image (sqlite-image-thread.ts);
 * - at a clean stop, from the areas as vmapd leaves them, unless the named
 *   image is already the table as it is.
 * One is written at a time. A failure to write one costs only speed: the
 * next start reads the image named before, or the rows.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { messageOf } from '../vmap/errors.js';
import type { EncodedAreaList } from './area-list-codec.js';
import { installImageFile, writeImageFile, type WrittenImage } from './image-file.js';
import type { CommitStatements } from './sqlite-schema.js';
import type { ImageThreadData, ImageThreadReply } from './sqlite-image-thread.js';

/** Least time from one cut to the next background one: an image of 1M areas costs its thread about 0.5 s. */
export const IMAGE_MIN_INTERVAL_MS = 30_000;

/** What the images tell the main thread. */
export type ImageReply =
  | { readonly type: 'imageWritten'; readonly areas: number; readonly bytes: number; readonly ms: number; readonly epoch: number; readonly why: ImageCause }
  | { readonly type: 'imageFailed'; readonly message: string; readonly why: ImageCause };

/** Why an image was written: at the start, while running, at the stop. */
export type ImageCause = 'start' | 'changes' | 'stop';

/** Where the images are, and what the keeper may use. */
export interface ImageSetting {
  readonly db: Database.Database;
  /** The database file and the image file beside it. */
  readonly dbPath: string;
  readonly imagePath: string;
  /** Rows changed since the last cut that start a background image (0: none). */
  readonly imageAfterChanges: number;
  readonly post: (reply: ImageReply) => void;
  /** False once the store failed: nothing more is written or named. */
  readonly usable: () => boolean;
}

/** The images of one store, kept on its worker thread. */
export class SqliteImages {
  /** The epoch commits write in. */
  epoch = 0;
  /** Whether the named image is the table as it is: the close need not write it again. */
  private current = false;
  /** Whether a commit came since the image being written was cut. */
  private changedSinceCut = false;
  /** Rows changed since the last cut. */
  private changesSinceCut = 0;
  private lastCutAt = -Infinity;
  /** The image being written (resolves once it is named or given up). */
  private writing: Promise<void> = Promise.resolve();
  /** Set by the close: a background image it ends is not a failure to report. */
  private closing = false;
  /** Whether an image is being written (one at a time). */
  private busy = false;
  private thread: Worker | undefined;
  /** The start's image, cut and waiting for `listening` to be written. */
  private startImage: { readonly list: EncodedAreaList; readonly cut: number } | undefined;
  private st!: CommitStatements;
  private readonly tmp: string;

  constructor(private readonly s: ImageSetting) {
    this.tmp = `${s.imagePath}.tmp`;
  }

  /** The store is open at `epoch`; `rebase`: the areas read, to write as an image now. */
  open(st: CommitStatements, epoch: number, current: boolean, rebase: EncodedAreaList | undefined): void {
    this.st = st;
    this.epoch = epoch;
    this.current = current;
    if (rebase !== undefined) {
      let cut: number;
      try {
        cut = this.cut();
      } catch (err) {
        void this.failed(err, 'start');
        return;
      }
      this.busy = true;
      this.startImage = { list: rebase, cut };
    }
  }

  /** vmapd listens: the start's image, if any, is written now. */
  listening(): void {
    const start = this.startImage;
    if (start === undefined || this.closing) return;
    this.startImage = undefined;
    this.writing = this.write(start.list, start.cut, 'start').finally(() => (this.busy = false));
  }

  /** A commit of `rows` changed rows succeeded. */
  committed(rows: number): void {
    this.current = false;
    this.changedSinceCut = true;
    this.changesSinceCut += rows;
    const { imageAfterChanges } = this.s;
    if (imageAfterChanges > 0 && this.changesSinceCut >= imageAfterChanges && !this.busy && performance.now() - this.lastCutAt >= IMAGE_MIN_INTERVAL_MS) this.background();
  }

  /** Ends the image being written in the background, then writes `final` (the areas as vmapd leaves them) unless the named image is the table. */
  async close(final: EncodedAreaList | undefined): Promise<void> {
    this.closing = true;
    // A start's image not yet written: the stop's own image has all it holds.
    if (this.startImage !== undefined) {
      this.startImage = undefined;
      this.busy = false;
    }
    await this.thread?.terminate();
    await this.writing;
    if (this.s.usable() && final !== undefined && !this.current) {
      // Every commit is answered: the areas as vmapd leaves them are the table, all of it of this epoch or before.
      this.changedSinceCut = false;
      await this.write(final, this.epoch, 'stop');
    }
    await rm(this.tmp, { force: true }).catch(() => undefined);
  }

  /** Moves the epoch on: the image about to be written holds every change of the epoch it returns. @throws what SQLite throws (then nothing moved) */
  private cut(): number {
    const cut = this.epoch;
    this.st.setEpoch.run(String(cut + 1));
    this.epoch = cut + 1;
    this.changedSinceCut = false;
    this.changesSinceCut = 0;
    this.lastCutAt = performance.now();
    return cut;
  }

  /** Cuts, and has a thread of its own read the areas and write them. */
  private background(): void {
    const started = performance.now();
    let cut: number;
    try {
      cut = this.cut();
    } catch (err) {
      // A full disk, say: tried again after the least interval, not at every commit.
      this.lastCutAt = performance.now();
      void this.failed(err, 'changes');
      return;
    }
    const thread = new Worker(new URL('./sqlite-image-thread.js', import.meta.url), {
      workerData: { path: this.s.dbPath, dir: dirname(this.s.dbPath), tmp: this.tmp } satisfies ImageThreadData,
    });
    this.thread = thread;
    this.busy = true;
    this.writing = new Promise<void>((resolve) => {
      let answered = false;
      thread.once('message', (reply: ImageThreadReply) => {
        answered = true;
        const done = reply.type === 'written' ? this.name(reply, cut, started, 'changes') : this.failed(new Error(reply.message), 'changes');
        void done.finally(resolve);
      });
      thread.once('error', (err) => {
        answered = true;
        void this.failed(err, 'changes').finally(resolve);
      });
      // Ended by the close before it answered.
      thread.once('exit', () => {
        this.thread = undefined;
        if (answered) return;
        if (this.closing) void rm(this.tmp, { force: true }).catch(() => undefined).finally(resolve);
        else void this.failed(new Error('its thread ended before it answered'), 'changes').finally(resolve);
      });
    }).finally(() => (this.busy = false));
  }

  /** Writes `list`, the areas as epoch `cut` left them, here on this thread, and names it. */
  private write(list: EncodedAreaList, cut: number, why: ImageCause): Promise<void> {
    const started = performance.now();
    return writeImageFile(list, this.tmp).then(
      (written) => this.name(written, cut, started, why),
      (err: unknown) => this.failed(err, why),
    );
  }

  /** Puts the written file in place and names it as the image of epoch `cut`. */
  private async name(written: WrittenImage, cut: number, started: number, why: ImageCause): Promise<void> {
    try {
      // A store that failed meanwhile names nothing more: its image is not replaced either.
      if (!this.s.usable()) throw new Error('the store failed while it was written');
      await installImageFile(this.tmp, this.s.imagePath);
      if (!this.s.usable()) throw new Error('the store failed while it was written');
      const { st } = this;
      this.s.db.transaction(() => {
        st.nameImage.run(written.token);
        st.setImageEpoch.run(String(cut));
        if (this.epoch <= cut) st.setEpoch.run(String((this.epoch = cut + 1)));
        st.pruneRemoved.run(cut);
      })();
      if (!this.changedSinceCut) this.current = true;
      this.s.post({ type: 'imageWritten', areas: written.areas, bytes: written.bytes, ms: Math.round(performance.now() - started), epoch: cut, why });
    } catch (err) {
      await this.failed(err, why);
    }
  }

  private async failed(err: unknown, why: ImageCause): Promise<void> {
    await rm(this.tmp, { force: true }).catch(() => undefined);
    this.s.post({ type: 'imageFailed', message: messageOf(err), why });
  }
}
