/**
 * `deno task build:wasm [--check]`: compiles the AssemblyScript kernels
 * (`lib/<module>/asm/<name>.ts`, files not starting with `_`) to
 * `lib/<module>/wasm/<name>.wasm` with one fixed set of compiler flags, so the committed
 * binaries are reproducible from the committed sources.
 *
 * Flags: SIMD (with relaxed SIMD for fused multiply-add), threads and an imported shared
 * memory, so that worker threads can run the same kernels on the same weights.
 * A source may add flags in a first-line comment: `// asc-flags: --initialMemory 32`.
 *
 * `--check` rebuilds into a temporary folder and fails when a committed binary differs.
 *
 * @module
 */
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = Deno.args.includes("--check");

/** Flags shared by every kernel. */
export const BASE_FLAGS = [
  "-O3",
  "--runtime",
  "stub",
  "--enable",
  "simd",
  "--enable",
  "relaxed-simd",
  "--enable",
  "threads",
  "--importMemory",
  "--sharedMemory",
  "--initialMemory",
  "16",
  "--maximumMemory",
  "65536",
  "--noAssert",
];

function findSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (entry.name === "asm") {
        for (const f of Deno.readDirSync(path)) {
          if (f.isFile && f.name.endsWith(".ts") && !f.name.startsWith("_")) {
            out.push(join(path, f.name));
          }
        }
      } else out.push(...findSources(path));
    }
  }
  return out.sort();
}

const sources = findSources(join(root, "lib"));
let stale = 0;
for (const src of sources) {
  const firstLine = Deno.readTextFileSync(src).split("\n", 1)[0];
  const extra =
    /^\/\/\s*asc-flags:(.*)$/.exec(firstLine)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
  const target = join(dirname(dirname(src)), "wasm", basename(src, ".ts") + ".wasm");
  const outFile = check ? await Deno.makeTempFile({ suffix: ".wasm" }) : target;
  await Deno.mkdir(dirname(outFile), { recursive: true });
  const args = [
    "run",
    "-A",
    "npm:assemblyscript@0.28.20/asc",
    src,
    ...BASE_FLAGS,
    ...extra,
    "-o",
    outFile,
  ];
  const res = await new Deno.Command(Deno.execPath(), { args, cwd: root }).output();
  if (!res.success) {
    console.error(new TextDecoder().decode(res.stderr));
    console.error(`build:wasm: compiling ${relative(root, src)} failed`);
    Deno.exit(1);
  }
  if (check) {
    const built = Deno.readFileSync(outFile);
    let committed: Uint8Array | null = null;
    try {
      committed = Deno.readFileSync(target);
    } catch { /* missing */ }
    const same = committed !== null && committed.length === built.length &&
      committed.every((b, i) => b === built[i]);
    if (!same) {
      stale++;
      console.error(
        `stale: ${relative(root, target)} differs from a fresh build of ${relative(root, src)}`,
      );
    }
    Deno.removeSync(outFile);
  } else {
    console.log(`built ${relative(root, target)} (${Deno.statSync(target).size} bytes)`);
  }
}
if (check) {
  console.log(
    stale
      ? `${stale} stale wasm binaries; run deno task build:wasm`
      : `${sources.length} wasm binaries up to date`,
  );
  Deno.exit(stale ? 1 : 0);
}
