/**
 * `deno run -A cli/setup_notebooks.ts [--check]`: makes sure the notebooks can be opened and
 * executed here: Jupyter (classic Notebook, nbconvert, nbclient, ipykernel from Debian),
 * the Deno kernelspec (pointing at the Deno that runs this script) and Chromium (for the
 * rendered-chart check). Installs what is missing with apt-get when running as root or
 * with password-less sudo; otherwise prints exactly what to install and exits 1.
 * `--check` only reports.
 *
 * The notebook test calls {@link ensureNotebookTools} itself, so `deno task test` on a
 * fresh machine needs nothing else.
 *
 * @module
 */
import { join } from "node:path";

/** Debian packages that provide what the notebooks need. */
export const APT_PACKAGES = {
  jupyter: ["jupyter-notebook", "python3-nbconvert", "python3-nbclient", "python3-ipykernel"],
  chromium: ["chromium"],
} as const;

/** Python modules the notebook runner imports (Debian's python3 has them once installed). */
const PYTHON_MODULES = ["nbclient", "nbconvert", "nbformat", "jupyter_client", "ipykernel"];

/** Where the notebook tools are on this machine. */
export interface NotebookTools {
  /** A python3 that imports nbclient, nbconvert and nbformat. */
  python: string;
  /** A Chromium (or Chrome) binary for headless rendering checks. */
  chromium: string;
  /** The Deno binary the kernelspec points at (the one running this process). */
  deno: string;
  /** The kernelspec directory of the user's `deno` kernel. */
  kernelspecDir: string;
}

async function run(cmd: string, args: string[], env?: Record<string, string>) {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", env })
      .output();
    const dec = new TextDecoder();
    return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (err) {
    return { ok: false, stdout: "", stderr: (err as Error).message };
  }
}

/**
 * The first python3 that imports the Jupyter modules: Debian's `/usr/bin/python3` first
 * (another python3 may come first on PATH and lack them), then `python3` on PATH.
 */
export async function findJupyterPython(): Promise<string | null> {
  const probe = `import ${PYTHON_MODULES.join(", ")}`;
  for (const py of ["/usr/bin/python3", "python3"]) {
    if ((await run(py, ["-c", probe])).ok) return py;
  }
  return null;
}

/** The Chromium binary: `DSER_CHROMIUM` if set, else the first of the usual names found. */
export async function findChromium(): Promise<string | null> {
  const fromEnv = Deno.env.get("DSER_CHROMIUM");
  const names = fromEnv ? [fromEnv] : [
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
  ];
  for (const name of names) {
    if ((await run(name, ["--version"])).ok) return name;
  }
  return null;
}

/** The user's Jupyter data directory (`~/.local/share/jupyter` on Linux). */
export function jupyterDataDir(): string {
  const env = Deno.env.get("JUPYTER_DATA_DIR");
  if (env) return env;
  const home = Deno.env.get("HOME") ?? ".";
  if (Deno.build.os === "darwin") return join(home, "Library", "Jupyter");
  if (Deno.build.os === "windows") return join(Deno.env.get("APPDATA") ?? home, "jupyter");
  return join(Deno.env.get("XDG_DATA_HOME") ?? join(home, ".local", "share"), "jupyter");
}

/** The Deno binary recorded in the user's `deno` kernelspec, or null when there is none. */
export async function kernelspecDeno(
  dir = join(jupyterDataDir(), "kernels", "deno"),
): Promise<string | null> {
  try {
    const spec = JSON.parse(await Deno.readTextFile(join(dir, "kernel.json")));
    return Array.isArray(spec.argv) ? String(spec.argv[0]) : null;
  } catch {
    return null;
  }
}

/** True when both paths name the same file (a symlink such as /usr/local/bin/deno counts). */
function samePath(a: string | null, b: string): boolean {
  if (a === null) return false;
  try {
    return Deno.realPathSync(a) === Deno.realPathSync(b);
  } catch {
    return a === b;
  }
}

async function canInstall(): Promise<{ ok: boolean; sudo: string[] }> {
  if (Deno.build.os !== "linux" || !(await run("apt-get", ["--version"])).ok) {
    return { ok: false, sudo: [] };
  }
  if (Deno.uid?.() === 0) return { ok: true, sudo: [] };
  if ((await run("sudo", ["-n", "true"])).ok) return { ok: true, sudo: ["sudo", "-n"] };
  return { ok: false, sudo: [] };
}

async function aptInstall(packages: string[], log: (s: string) => void): Promise<boolean> {
  const how = await canInstall();
  if (!how.ok) return false;
  const [cmd, ...pre] = how.sudo.length ? how.sudo : ["env"];
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  log(`installing from apt: ${packages.join(" ")}`);
  const update = await run(cmd, [...pre, "apt-get", "update", "-qq"], env);
  if (!update.ok) log(`apt-get update failed (continuing): ${update.stderr.trim().slice(-500)}`);
  const inst = await run(
    cmd,
    [...pre, "apt-get", "install", "-y", "-qq", "--no-install-recommends", ...packages],
    env,
  );
  if (!inst.ok) log(`apt-get install failed: ${inst.stderr.trim().slice(-1000)}`);
  return inst.ok;
}

/** Thrown when a tool is missing and could not be installed; the message says what to do. */
export class NotebookSetupError extends Error {
  override name = "NotebookSetupError";
}

/**
 * Finds (and with `install`, installs) Jupyter, the Deno kernelspec and Chromium.
 * Throws a {@link NotebookSetupError} naming the exact packages or commands when something
 * is missing and cannot be installed here.
 */
export async function ensureNotebookTools(
  opts: { install?: boolean; log?: (s: string) => void } = {},
): Promise<NotebookTools> {
  const install = opts.install ?? true;
  const log = opts.log ?? ((s: string) => console.error(s));
  const missing: string[] = [];

  let python = await findJupyterPython();
  if (!python && install && (await aptInstall([...APT_PACKAGES.jupyter], log))) {
    python = await findJupyterPython();
  }
  if (!python) missing.push(...APT_PACKAGES.jupyter);

  let chromium = await findChromium();
  if (!chromium && install && (await aptInstall([...APT_PACKAGES.chromium], log))) {
    chromium = await findChromium();
  }
  if (!chromium) missing.push(...APT_PACKAGES.chromium);

  if (missing.length > 0) {
    throw new NotebookSetupError(
      `missing notebook tools. Install them with:\n` +
        `  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${
          missing.join(" ")
        }\n` +
        `(or, without Debian: pip install notebook nbconvert nbclient ipykernel, and a ` +
        `Chromium/Chrome binary named by DSER_CHROMIUM)`,
    );
  }

  // The kernelspec: `deno jupyter --install` records the running binary; redo it (with
  // --force) when missing or when it names another Deno than this one.
  const deno = Deno.execPath();
  const kernelspecDir = join(jupyterDataDir(), "kernels", "deno");
  const recorded = await kernelspecDeno(kernelspecDir);
  if (!samePath(recorded, deno)) {
    if (!install) {
      throw new NotebookSetupError(
        recorded === null
          ? `the Deno Jupyter kernel is not installed; run: ${deno} jupyter --install`
          : `the Deno kernelspec points at ${recorded}, not ${deno}; run: ${deno} jupyter --install --force`,
      );
    }
    const args = ["jupyter", "--install", ...(recorded === null ? [] : ["--force"])];
    log(`${deno} ${args.join(" ")}`);
    const res = await run(deno, args);
    if (!res.ok) {
      throw new NotebookSetupError(`deno jupyter --install failed: ${res.stderr.trim()}`);
    }
  }
  return { python: python!, chromium: chromium!, deno, kernelspecDir };
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  try {
    const tools = await ensureNotebookTools({ install: !check });
    console.log(`python with Jupyter: ${tools.python}`);
    console.log(`chromium:            ${tools.chromium}`);
    console.log(`Deno kernelspec:     ${tools.kernelspecDir} -> ${tools.deno}`);
    console.log(`open the notebooks:  cd notebooks && ${tools.python} -m notebook`);
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(1);
  }
}
