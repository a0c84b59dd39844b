/**
 * Worker side of {@link ThreadPool}: instantiates the shared module on the shared memory,
 * then loops: sleep on the command futex, run the requested export with this thread's id,
 * count itself done.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { CONTROL } from "./pool.ts";
import { kernelImports } from "../util/wasm.ts";

interface Setup {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctlPtr: number;
  tid: number;
  functions: string[];
}

const port = parentPort!;

port.once("message", (setup: Setup) => {
  const { module, memory, ctlPtr, tid, functions } = setup;
  const instance = new WebAssembly.Instance(module, kernelImports(memory));
  const exports = instance.exports as unknown as Record<string, (...args: number[]) => number>;
  const ctl = new Int32Array(memory.buffer, ctlPtr, CONTROL.CTL_INTS);
  // Read the sequence number before saying ready: a command issued right after "ready"
  // must not be mistaken for one already seen.
  let seen = Atomics.load(ctl, CONTROL.SEQ);
  port.postMessage({ ready: true });
  for (;;) {
    Atomics.wait(ctl, CONTROL.SEQ, seen);
    const seq = Atomics.load(ctl, CONTROL.SEQ);
    if (seq === seen) continue;
    seen = seq;
    const fn = Atomics.load(ctl, CONTROL.FN);
    if (fn < 0) break;
    // Not taking part in this command (thread 0 counts only active workers as done).
    if (tid >= Atomics.load(ctl, CONTROL.ACTIVE)) continue;
    const ctx = Atomics.load(ctl, CONTROL.ARGS);
    const args: number[] = [];
    for (let k = 1; k < CONTROL.MAX_ARGS; k++) args.push(Atomics.load(ctl, CONTROL.ARGS + k));
    try {
      exports[functions[fn]](ctx, tid, ...args);
    } catch (err) {
      Atomics.store(ctl, CONTROL.FAILED, 1);
      port.postMessage({ error: `thread ${tid}: ${(err as Error).message}` });
    }
    Atomics.add(ctl, CONTROL.DONE, 1);
    Atomics.notify(ctl, CONTROL.DONE);
  }
});
