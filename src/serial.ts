/**
 * `Serial`: runs asynchronous tasks one at a time, in the order they were handed in. A task starts
 * only once every task before it has settled; each caller gets its own task's result or failure, and
 * a failed task does not stop or fail the tasks after it. Catalog changes, manifest writes and
 * publishes use it so that two of them never interleave.
 *
 * This module must never run two tasks of one `Serial` at once, never reorder them, and never drop
 * a task's failure on the floor: it is delivered to that task's caller.
 */

export class Serial {
  /** Settles once the last task queued so far has settled; never rejects. */
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;

  /** Runs `task` after every task queued before it; resolves or rejects as `task` does. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.#queued++;
    const result = this.#tail.then(task).finally(() => {
      this.#queued--;
    });
    // The failure belongs to this task's caller (who holds `result`); later tasks run regardless.
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves once every task queued so far has settled (whatever their outcome). */
  async idle(): Promise<void> {
    await this.#tail;
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.#queued;
  }
}
