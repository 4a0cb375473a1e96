/**
 * The lifetime of a started worker, the same for fetch workers (`spawn.ts`) and the CPU
 * executor's sample workers (`src/engine/spawn-sample-worker.ts`): hearing that it failed, letting
 * the process exit while it idles (Node), and ending it. Each spawner creates its worker itself
 * (bundlers recognise a worker only in the `new Worker(new URL("./x.js", import.meta.url))` form
 * written where the worker's file is), then hands it here.
 *
 * @example
 * ```ts
 * const worker = new Worker(new URL("./fetch-worker.ts", import.meta.url), { type: "module", name });
 * const life = webLifetime(worker);
 * life.onFailure((reason) => console.warn(reason));
 * ```
 * @module
 */

/** What a spawner offers of a started worker's lifetime. */
export interface WorkerLifetime {
  /** Hear that the worker failed (an uncaught error, a message that could not be read, an exit). */
  onFailure(listener: (reason: string) => void): void;
  /** Let the process exit while this worker is idle (Node); no-op elsewhere. */
  setIdle(idle: boolean): void;
  terminate(): void;
}

/** The parts of a Node `worker_threads` Worker used here (typed structurally: no Node types in the package's declarations). */
export interface NodeWorkerLike {
  on(event: "error", listener: (e: Error) => void): unknown;
  on(event: "messageerror", listener: () => void): unknown;
  on(event: "exit", listener: (code: number) => void): unknown;
  ref(): void;
  unref(): void;
  terminate(): unknown;
}

/** The lifetime of a module worker (browsers, Deno). */
export function webLifetime(worker: Worker): WorkerLifetime {
  return {
    onFailure: (listener) => {
      worker.addEventListener("error", (e: ErrorEvent) => {
        e.preventDefault();
        listener(e.message || "uncaught error");
      });
      worker.addEventListener("messageerror", () => listener("a message could not be deserialized"));
    },
    setIdle: () => {},
    terminate: () => worker.terminate(),
  };
}

/** The lifetime of a Node worker: an exit it was not asked for is a failure. */
export function nodeLifetime(worker: NodeWorkerLike): WorkerLifetime {
  let terminated = false;
  return {
    onFailure: (listener) => {
      worker.on("error", (e: Error) => listener(e.message));
      worker.on("messageerror", () => listener("a message could not be deserialized"));
      worker.on("exit", (code: number) => {
        if (!terminated) listener(`exited with code ${code}`);
      });
    },
    setIdle: (idle) => (idle ? worker.unref() : worker.ref()),
    terminate: () => {
      terminated = true;
      void worker.terminate();
    },
  };
}
