/** Options of {@link WorkerPool.create}. */
export interface WorkerPoolOptions {
  /** Number of workers (default: min(4, hardware threads)); 0 reads on the calling thread. */
  size?: number;
}

/** Counters of a {@link WorkerPool}: what crossed the worker boundary. */
export interface WorkerPoolStats {
  /** Reads asked of the pool. */
  reads: number;
  /** Reads sent to a worker (not those aborted before their batch left, nor in-process reads). */
  readsSent: number;
  /** Comlink calls made to the workers: one per batch of reads, one per batch of cancellations. */
  callsSent: number;
  /** Comlink calls the workers made to the pool: one per batch of answers. */
  callsReceived: number;
  /**
   * Messages posted to the workers: every call above, comlink's reply to every call received,
   * and `workerCounts` queries.
   */
  messagesSent: number;
  /** Messages received from the workers: every batch of answers, and the reply to every call sent (queries included). */
  messagesReceived: number;
}
