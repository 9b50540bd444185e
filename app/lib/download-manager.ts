/**
 * The browser's download manager: fetches a stream URL into the Origin Private File System (or memory),
 * pauses and resumes direct formats with HTTP Range, and hands the finished file to the browser.
 * It touches no browser global at import, so server rendering and Node can import it.
 */

export type DownloadState = "starting" | "downloading" | "paused" | "done" | "failed" | "cancelled";

export type DownloadSnapshot = {
  state: DownloadState;
  /** Bytes stored so far. */
  received: number;
  /** From Content-Length (200) or Content-Range's size (206); null when unknown. */
  total: number | null;
  /** Bytes per second, smoothed; 0 when not downloading. */
  speed: number;
  /** Seconds left, when total and speed are known. */
  eta: number | null;
  error: { code: string; status: number | null; message: string } | null;
  resumable: boolean;
};

export type DownloadOptions = {
  url: string;
  fileName: string;
  /** Direct formats: pause/resume with Range. Pipe formats: false (pause() throws). */
  resumable: boolean;
  /** Called on every state change and at most ~4 times/s while bytes flow. */
  onChange?: (snapshot: DownloadSnapshot) => void;
  /** Injectable for tests; defaults to globalThis.fetch. */
  fetch?: typeof fetch;
  /** "auto": the Origin Private File System when available, else memory. */
  storage?: "auto" | "memory";
};

export interface DownloadJob {
  readonly snapshot: DownloadSnapshot;
  /** Resolves when the job reaches done, failed, paused or cancelled. */
  start(): Promise<void>;
  /** Resumable jobs only: aborts the request, keeps the bytes. */
  pause(): void;
  /** Continues a paused job with `Range: bytes=<received>-`. */
  resume(): Promise<void>;
  /** After "failed": resumes from `received` when resumable and received > 0, else starts over. */
  retry(): Promise<void>;
  /** Aborts and discards the stored bytes. */
  cancel(): Promise<void>;
  /** The finished file; rejects unless the job is done. */
  file(): Promise<Blob>;
  /** Browser only: hands the file to the browser's own downloads, then releases the stored bytes a while later. */
  save(): Promise<void>;
}

const TICK_MS = 250;
/** Memory storage moves bytes into a Blob this often: browsers keep Blobs outside the page's heap, big ones even on disk. */
const PART_BYTES = 1 << 20;
/** Time for the browser to copy a multi-gigabyte file out of the object URL before the URL and the file behind it go. */
const RELEASE_AFTER_MS = 5 * 60_000;
/** OPFS files untouched this long were left by closed pages: a job lives in one page, so nobody can resume or save them. */
const STALE_AFTER_MS = 24 * 60 * 60_000;
const OPFS_DIR = "downloads";

type Failure = NonNullable<DownloadSnapshot["error"]>;

class DownloadError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export function createDownload(options: DownloadOptions): DownloadJob {
  const { url, fileName, resumable, onChange, storage = "auto" } = options;
  const fetchFile = options.fetch ?? globalThis.fetch;
  let snap: DownloadSnapshot = { state: "starting", received: 0, total: null, speed: 0, eta: null, error: null, resumable };
  let store: Store | null = null;
  let controller: AbortController | null = null;
  // Transfers run one after another: a resume waits until the paused transfer has committed its bytes.
  let running = Promise.resolve();
  let ticker: ReturnType<typeof setInterval> | undefined;
  let sample = { at: 0, received: 0 };

  /** Replaces the snapshot (never mutates it, so UIs can compare by identity) and reports it unless `notify` is false. */
  function set(patch: Partial<DownloadSnapshot>, notify = true) {
    const next = { ...snap, ...patch };
    if (next.state !== snap.state) {
      clearInterval(ticker);
      if (next.state === "downloading") {
        sample = { at: performance.now(), received: next.received };
        ticker = setInterval(tick, TICK_MS);
      } else next.speed = 0;
    }
    next.eta = next.total !== null && next.speed > 0 ? Math.ceil((next.total - next.received) / next.speed) : null;
    snap = next;
    if (!notify || !onChange) return;
    try {
      onChange(snap);
    } catch (error) {
      // A throwing listener must not pass for a network error nor stop the transfer: report it on its own.
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  /** Also runs while no bytes arrive, so a stalled download's speed decays instead of freezing. */
  function tick() {
    const now = performance.now();
    const elapsed = now - sample.at;
    const rate = ((snap.received - sample.received) * 1000) / elapsed;
    // A moving average with a 1 s time constant, weighted by the real interval so the timer's jitter doesn't skew it.
    const speed = snap.speed === 0 ? rate : snap.speed + (1 - Math.exp(-elapsed / 1000)) * (rate - snap.speed);
    sample = { at: now, received: snap.received };
    set({ speed });
  }

  function begin(): Promise<void> {
    const attempt = new AbortController();
    controller = attempt;
    running = running.then(() => transfer(attempt));
    return running;
  }

  /** One request; never rejects. Pause and cancel set the state themselves, so an aborted transfer leaves it alone. */
  async function transfer(attempt: AbortController): Promise<void> {
    const { signal } = attempt;
    const from = resumable ? snap.received : 0;
    let writer: Writer | null = null;
    let failure: Failure | null = null;
    try {
      const response = await fetchFile(url, { signal, headers: from > 0 ? { Range: `bytes=${from}-` } : undefined });
      // The paused transfer had already stored the last byte.
      const complete = response.status === 416 && from > 0 && from === snap.total;
      if (!complete) {
        const { start, total } = bodyRange(response, from);
        const sink = await inStorage(async () => (store ??= await openStore(storage)).writer(start));
        writer = sink;
        signal.throwIfAborted();
        set({ state: "downloading", received: start, total, error: null });
        const reader = response.body?.getReader();
        while (reader && !signal.aborted) {
          const { done, value } = await reader.read();
          if (done) break;
          // One write at a time: a slow disk slows the download down instead of piling chunks up in memory.
          await inStorage(() => sink.write(value));
          set({ received: snap.received + value.byteLength }, false);
        }
      }
    } catch (error) {
      failure = describe(error);
    }
    // Commit after a pause or failure too: the next transfer resumes from these bytes.
    await writer?.close().catch((error: unknown) => {
      // OPFS writes land only when the stream closes, so none of them can be counted on.
      set({ received: 0 }, false);
      failure ??= { code: "storage_error", status: null, message: messageOf(error) };
    });
    const interrupted = signal.aborted;
    attempt.abort(); // Frees the connection of a body left unread.
    if (interrupted) return;
    if (!failure && snap.total !== null && snap.received < snap.total) {
      failure = { code: "incomplete", status: null, message: `The body ended after ${snap.received} of ${snap.total} bytes` };
    }
    set(failure ? { state: "failed", error: failure } : { state: "done" });
  }

  async function file(): Promise<Blob> {
    if (snap.state !== "done" || !store) throw new Error(`The download is ${snap.state}, not done`);
    return store.file();
  }

  return {
    get snapshot() {
      return snap;
    },

    start() {
      if (!controller && snap.state === "starting") void begin();
      return running;
    },

    pause() {
      if (!resumable) throw new Error("This download is converted on the fly and can't be paused");
      if (!controller || (snap.state !== "starting" && snap.state !== "downloading")) return;
      controller.abort();
      set({ state: "paused" });
    },

    resume() {
      if (snap.state !== "paused") return running;
      set({ state: "starting" });
      return begin();
    },

    retry() {
      if (snap.state !== "failed") return running;
      set({ state: "starting", error: null });
      return begin();
    },

    async cancel() {
      if (snap.state === "cancelled") return;
      controller?.abort();
      set({ state: "cancelled", error: null });
      await running;
      await store?.remove();
      store = null;
      set({ received: 0 });
    },

    file,

    async save() {
      const blob = await file();
      if (typeof document === "undefined") throw new Error("save() needs a browser");
      const href = URL.createObjectURL(blob);
      const link = Object.assign(document.createElement("a"), { href, download: fileName });
      document.body.append(link);
      link.click();
      link.remove();
      const saved = store;
      setTimeout(() => {
        URL.revokeObjectURL(href);
        void saved?.remove();
      }, RELEASE_AFTER_MS);
    },
  };
}

/** Where the response's body starts in the file, and the file's size; throws when the response can't be used. */
function bodyRange(response: Response, from: number): { start: number; total: number | null } {
  if (response.status === 206) {
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get("Content-Range") ?? "");
    if (!range || Number(range[1]) !== from) {
      throw new DownloadError("bad_range", `Asked for bytes from ${from}, got ${response.headers.get("Content-Range")}`, 206);
    }
    return { start: from, total: range[2] === "*" ? null : Number(range[2]) };
  }
  if (response.status === 200) {
    // Also the answer of a server that ignored our Range: the file starts over. A compressed body's length isn't the file's.
    const length = response.headers.get("Content-Encoding") ? null : response.headers.get("Content-Length");
    return { start: 0, total: length && /^\d+$/.test(length) ? Number(length) : null };
  }
  const code = response.headers.get("X-Error-Code") || `http_${response.status}`;
  throw new DownloadError(code, response.headers.get("X-Error-Message") || response.statusText || code, response.status);
}

function describe(error: unknown): Failure {
  if (error instanceof DownloadError) return { code: error.code, status: error.status, message: error.message };
  // fetch() and body reads fail with a bare TypeError for every network problem.
  return { code: "network_error", status: null, message: messageOf(error) };
}

function messageOf(error: unknown) {
  return error instanceof Error ? error.message : String(error);
}

function inStorage<T>(operation: () => Promise<T>): Promise<T> {
  return operation().catch((error: unknown) => {
    throw new DownloadError("storage_error", messageOf(error));
  });
}

/** Where a transfer's bytes go; close() commits them. */
type Writer = { write(chunk: Uint8Array<ArrayBuffer>): Promise<void>; close(): Promise<void> };

type Store = {
  /** A writer at `offset`; whatever lies beyond it is dropped. */
  writer(offset: number): Promise<Writer>;
  file(): Promise<Blob>;
  remove(): Promise<void>;
};

async function openStore(kind: "auto" | "memory"): Promise<Store> {
  if (kind === "auto" && hasWritableOpfs()) {
    try {
      return await opfsStore();
    } catch (err) {
      // Firefox's private windows refuse the directory, for one: memory takes over.
      console.info("private file storage unavailable, keeping the download in memory", err);
    }
  }
  return memoryStore();
}

function hasWritableOpfs() {
  return (
    typeof navigator !== "undefined" &&
    typeof navigator.storage?.getDirectory === "function" &&
    typeof FileSystemFileHandle !== "undefined" &&
    // Safari long wrote OPFS files from workers only (createSyncAccessHandle).
    "createWritable" in FileSystemFileHandle.prototype
  );
}

let swept = false;

async function opfsStore(): Promise<Store> {
  const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_DIR, { create: true });
  if (!swept) {
    swept = true;
    void sweep(dir).catch((err: unknown) => console.info("could not sweep old partial downloads", err));
  }
  const name = crypto.randomUUID();
  const handle = await dir.getFileHandle(name, { create: true });
  // Fail here, where memory can still take over, rather than at the first write.
  await (await handle.createWritable()).close();
  return {
    async writer(offset) {
      const stream = await handle.createWritable({ keepExistingData: true });
      await stream.truncate(offset);
      await stream.seek(offset);
      return { write: (chunk) => stream.write(chunk), close: () => stream.close() };
    },
    file: () => handle.getFile(),
    // Fails only when the file is already gone (a cancel after save, or another page's sweep).
    remove: () => dir.removeEntry(name).catch((err: unknown) => console.debug("partial download already removed", err)),
  };
}

async function sweep(dir: FileSystemDirectoryHandle) {
  const stale: string[] = [];
  // This project's TypeScript libs leave out "DOM.AsyncIterable", which types the directory's iteration.
  for await (const entry of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
    if (entry.kind !== "file") continue;
    const { lastModified } = await (entry as FileSystemFileHandle).getFile();
    if (Date.now() - lastModified > STALE_AFTER_MS) stale.push(entry.name);
  }
  for (const name of stale) await dir.removeEntry(name).catch((err: unknown) => console.debug("stale partial download already removed", err));
}

function memoryStore(): Store {
  let stored: Blob | null = new Blob([]);
  let chunks: Uint8Array<ArrayBuffer>[] = [];
  let chunkBytes = 0;
  const flush = () => {
    if (!stored) throw new Error("The downloaded file was released");
    stored = new Blob([stored, ...chunks]);
    chunks = [];
    chunkBytes = 0;
    return stored;
  };
  return {
    writer(offset) {
      stored = flush().slice(0, offset);
      return Promise.resolve({
        write(chunk) {
          chunks.push(chunk);
          chunkBytes += chunk.byteLength;
          if (chunkBytes >= PART_BYTES) flush();
          return Promise.resolve();
        },
        close() {
          flush();
          return Promise.resolve();
        },
      });
    },
    file() {
      return Promise.resolve(flush());
    },
    remove() {
      stored = null;
      chunks = [];
      return Promise.resolve();
    },
  };
}
