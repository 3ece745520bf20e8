/**
 * One simulated process's client of the shared object store: it counts each request on the crash
 * switch (so a crash can land between any two requests) and, once its process has crashed, refuses
 * new requests with `SimulatedCrash`. Requests already sent before the crash go on and may land, as
 * a real request on the wire would. It never changes what a request does otherwise.
 */

import type {
  ObjectHead,
  ObjectStore,
  PutOptions,
  RequestOptions,
} from '../storage/object-store/object-store.ts';
import { type CrashSwitch, SimulatedCrash } from './crash-switch.ts';

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

  #enter(what: string): void {
    // A dead process's late request must not touch the switch, which now belongs to its successor.
    if (this.#dead) throw new SimulatedCrash(`${what} (after the crash)`);
    this.#switch.enter(what);
  }

  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<{ etag: string }> {
    this.#enter(`put ${key}`);
    return this.#target.put(key, body, options);
  }

  async get(key: string, options?: RequestOptions): Promise<Uint8Array> {
    this.#enter(`get ${key}`);
    return this.#target.get(key, options);
  }

  async head(key: string, options?: RequestOptions): Promise<ObjectHead | undefined> {
    this.#enter(`head ${key}`);
    return this.#target.head(key, options);
  }

  async delete(key: string, options?: RequestOptions): Promise<void> {
    this.#enter(`delete ${key}`);
    return this.#target.delete(key, options);
  }

  async *list(prefix: string, options?: RequestOptions): AsyncIterable<string> {
    this.#enter(`list ${prefix}`);
    yield* this.#target.list(prefix, options);
  }
}
