/**
 * Doc2Vec training thread: instantiates the kernel on the shared memory it is sent and,
 * per epoch, claims jobs until none are left (see engine_wasm.ts). Started by
 * `trainWasm`, never imported.
 *
 * @module
 */
import {
  configureInstance,
  type KernelExports,
  type MemoryLayout,
  runJobs,
} from "./engine_wasm.ts";
import { instantiateKernelModule } from "../util/wasm.ts";

type Message =
  | {
    type: "init";
    module: WebAssembly.Module;
    memory: WebAssembly.Memory;
    layout: MemoryLayout;
    thread: number;
  }
  | { type: "epoch"; starts: Int32Array; alphas: Float64Array };

let kernel: KernelExports | null = null;
let control: Int32Array | null = null;

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Message>) => void) | null;
  postMessage(msg: unknown): void;
};

scope.onmessage = async (e: MessageEvent<Message>) => {
  const msg = e.data;
  try {
    if (msg.type === "init") {
      kernel = await instantiateKernelModule<KernelExports>(msg.module, msg.memory);
      configureInstance(kernel, msg.layout, msg.thread);
      control = new Int32Array(msg.memory.buffer, msg.layout.control, 4);
      scope.postMessage({ type: "ready" });
    } else {
      if (!kernel || !control) throw new Error("epoch before init");
      runJobs(kernel, control, msg.starts, msg.alphas);
      scope.postMessage({ type: "done" });
    }
  } catch (err) {
    scope.postMessage({ type: "error", message: (err as Error).message });
  }
};
