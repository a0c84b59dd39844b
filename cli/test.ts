/**
 * `deno task test`: runs every test under tests/ and ends with a plain
 * `N passed, N failed` line (CI reads that line, not Deno's own summary).
 *
 * Usage: deno task test [filter-substring] [-- extra deno test flags]
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const junitPath = join(root, "results", "tmp", `junit-${Deno.pid}.xml`);
await Deno.mkdir(dirname(junitPath), { recursive: true });

const filter = Deno.args.find((a) => !a.startsWith("-"));
const extra = Deno.args.filter((a) => a.startsWith("-"));
const args = [
  "test",
  "-A",
  `--junit-path=${junitPath}`,
  ...(filter ? [`--filter=${filter}`] : []),
  ...extra,
  "tests/",
];
console.error(`$ deno ${args.join(" ")}`);
const child = new Deno.Command(Deno.execPath(), {
  args,
  cwd: root,
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const status = await child.status;

let passed = 0;
let failed = 0;
try {
  const xml = await Deno.readTextFile(junitPath);
  // Count top-level test cases only; steps are part of their test.
  for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = m[2] ?? "";
    if (/<failure\b|<error\b/.test(body)) failed++;
    else if (!/<skipped\b/.test(body)) passed++;
  }
  await Deno.remove(junitPath).catch(() => {});
} catch (err) {
  console.error(`could not read the test report ${junitPath}: ${(err as Error).message}`);
}
// A crash before any report (e.g. a type error in a test file) is a failure too.
if (!status.success && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(status.success && failed === 0 ? 0 : 1);
