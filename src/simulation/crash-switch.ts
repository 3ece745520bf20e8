/**
 * The crash trigger shared by the simulated file system and the simulated process's object-store
 * client: both count every call they see, and the call whose number the seed picked (or a call
 * after `crashNow()`) throws `SimulatedCrash`, as does every later call of the crashed process.
 * At their boundary both turn it into a promise that never settles (`neverSettles`): a dead
 * process does not get errors it could retry on, it simply stops. This module decides when a
 * crash happens; it never touches files or objects.
 */

export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
  constructor(where: string) {
    super(`Simulated crash at ${where}`);
  }
}

export function isSimulatedCrash(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof SimulatedCrash) return true;
  }
  return false;
}

/** What a crashed process's call returns: nothing ever happens after it. */
export function neverSettles<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

export class CrashSwitch {
  /** I/O calls seen since the last `arm`. */
  calls = 0;
  #crashAtCall: number | undefined;
  #crashed = false;
  /** Where the crash happened (the call that triggered it), for the history. */
  where: string | undefined;

  /** Crash at the `call`-th I/O call from now (1 = the next one); undefined disarms. */
  arm(call: number | undefined): void {
    this.calls = 0;
    this.#crashAtCall = call;
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  /** Crashes the process now: every later call throws. */
  crashNow(where: string): void {
    if (this.#crashed) return;
    this.#crashed = true;
    this.where = where;
  }

  /** Called before each I/O call; throws when the process has crashed or must crash here. */
  enter(where: string): void {
    if (this.#crashed) throw new SimulatedCrash(`${where} (after the crash)`);
    this.calls++;
    if (this.#crashAtCall !== undefined && this.calls >= this.#crashAtCall) {
      this.crashNow(where);
      throw new SimulatedCrash(where);
    }
  }

  /** A new process after the crash: nothing armed, nothing crashed. */
  reset(): void {
    this.#crashed = false;
    this.#crashAtCall = undefined;
    this.calls = 0;
    this.where = undefined;
  }
}
