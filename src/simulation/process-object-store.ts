/**
 * One simulated process's client of the shared object store: it counts each request on the crash
 * switch (so a crash can land between any two requests) and, once its process has crashed, never
 * sends or answers a new request. Requests already sent before the crash go on and may land, as
 * a real request on the wire would. It never changes what a request does otherwise.
 */

import type { ObjectHead, ObjectStore, PutOptions, RequestOptions } from '../object-store/object-store.ts';
import { type CrashSwitch, neverSettles, SimulatedCrash } from './crash-switch.ts';

export class ProcessObjectStore implements ObjectStore {
  readonly #target: ObjectStore;
  readonly #switch: CrashSwitch;
  #dead = false;

  constructor(target: ObjectStore, crashSwitch: CrashSwitch) {
    this.#target = target;
    this.#switch = crashSwitch;
  }

  /** The process is gone: every later request fails, even after the switch is reset for the next one. */
  kill(): void {
    this.#dead = true;
  }

  /** Counts the request; false when the process is dead (or dies at this request). */
  #enter(what: string): boolean {
    // A dead process's late request must not touch the switch, which now belongs to its successor.
    if (this.#dead) return false;
    try {
      this.#switch.enter(what);
      return true;
    } catch (error) {
      if (error instanceof SimulatedCrash) return false;
      throw error;
    }
  }

  put(key: string, body: Uint8Array, options?: PutOptions): Promise<{ etag: string }> {
    return this.#enter(`put ${key}`) ? this.#target.put(key, body, options) : neverSettles();
  }

  get(key: string, options?: RequestOptions): Promise<Uint8Array> {
    return this.#enter(`get ${key}`) ? this.#target.get(key, options) : neverSettles();
  }

  head(key: string, options?: RequestOptions): Promise<ObjectHead | undefined> {
    return this.#enter(`head ${key}`) ? this.#target.head(key, options) : neverSettles();
  }

  delete(key: string, options?: RequestOptions): Promise<void> {
    return this.#enter(`delete ${key}`) ? this.#target.delete(key, options) : neverSettles();
  }

  async *list(prefix: string, options?: RequestOptions): AsyncIterable<string> {
    if (!this.#enter(`list ${prefix}`)) await neverSettles();
    yield* this.#target.list(prefix, options);
  }
}
