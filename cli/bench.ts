/**
 * `deno task bench <name> [args]`: runs the benchmark `cli/bench/<name>.ts`, which writes
 * `results/bench/<name>.json`. Speed targets live here, never in tests.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const names = [...Deno.readDirSync(join(here, "bench"))]
  .filter((e) => e.isFile && e.name.endsWith(".ts") && !e.name.startsWith("_"))
  .map((e) => e.name.slice(0, -3))
  .sort();
const [name, ...rest] = Deno.args;
if (!name || !names.includes(name)) {
  console.error(`usage: deno task bench <${names.join("|")}> [args]`);
  Deno.exit(name ? 1 : 0);
}
const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", join(here, "bench", `${name}.ts`), ...rest],
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
Deno.exit((await child.status).code);
