/**
 * Run locks: a run folder being worked on holds `.lock` (pid, host, heartbeat), so two
 * processes sharing a results folder (a mistaken double start, overlapping shards) never
 * run the same run at once. A lock left by a killed process is stale and taken over: on
 * the same host when its pid is gone, elsewhere when its heartbeat is older than
 * `staleAfterS`.
 *
 * @module
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { writeJsonAtomic } from "../util/fs.ts";

/** File name of a run folder's lock. */
export const LOCK_FILE = ".lock";

/** Contents of a lock file. */
export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  /** ISO time of the last heartbeat. */
  heartbeatAt: string;
}

/** A held lock; `release()` removes it and stops the heartbeat. */
export interface RunLock {
  release(): Promise<void>;
}

/** Outcome of {@link acquireRunLock}. */
export type LockResult =
  | { ok: true; lock: RunLock; tookOverStale: LockInfo | null }
  | { ok: false; holder: LockInfo };

function processAlive(pid: number): boolean | null {
  if (Deno.build.os !== "linux") return null;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** True when the lock's holder is certainly gone (same host, dead pid) or silent too long. */
export function isStale(info: LockInfo, staleAfterS: number, now = Date.now()): boolean {
  if (info.host === hostname()) {
    if (info.pid === Deno.pid) return false;
    const alive = processAlive(info.pid);
    if (alive !== null) return !alive;
  }
  const beat = Date.parse(info.heartbeatAt);
  return !Number.isFinite(beat) || now - beat > staleAfterS * 1000;
}

async function readLock(path: string): Promise<LockInfo | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as LockInfo;
  } catch {
    return null;
  }
}

async function recentlyModified(path: string, seconds: number): Promise<boolean> {
  try {
    const mtime = (await Deno.stat(path)).mtime;
    return mtime !== null && Date.now() - mtime.getTime() < seconds * 1000;
  } catch {
    return false;
  }
}

/**
 * Takes the lock of run folder `dir` (created if needed). Fails (ok: false) when a live
 * process holds it.
 * @param staleAfterS heartbeat age after which a lock from another host is stale.
 * @param heartbeatS seconds between heartbeats.
 */
export async function acquireRunLock(
  dir: string,
  opts: { staleAfterS?: number; heartbeatS?: number } = {},
): Promise<LockResult> {
  const staleAfterS = opts.staleAfterS ?? 1800;
  const heartbeatS = opts.heartbeatS ?? 30;
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const now = new Date().toISOString();
  const info: LockInfo = { pid: Deno.pid, host: hostname(), startedAt: now, heartbeatAt: now };
  let tookOver: LockInfo | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // createNew makes the creation itself the test: only one process can succeed.
      const file = await Deno.open(path, { write: true, createNew: true });
      try {
        await file.write(new TextEncoder().encode(JSON.stringify(info) + "\n"));
      } finally {
        file.close();
      }
      const timer = setInterval(() => {
        info.heartbeatAt = new Date().toISOString();
        writeJsonAtomic(path, info).catch(() => {});
      }, heartbeatS * 1000);
      Deno.unrefTimer(timer);
      return {
        ok: true,
        tookOverStale: tookOver,
        lock: {
          release: async () => {
            clearInterval(timer);
            await Deno.remove(path).catch(() => {});
          },
        },
      };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      const holder = await readLock(path);
      if (holder && !isStale(holder, staleAfterS)) return { ok: false, holder };
      if (!holder && (await recentlyModified(path, 60))) {
        // Another process created the lock an instant ago and is still writing it.
        return { ok: false, holder: { pid: -1, host: "?", startedAt: "?", heartbeatAt: "?" } };
      }
      tookOver = holder;
      await Deno.remove(path).catch(() => {});
    }
  }
  const holder = await readLock(path);
  return {
    ok: false,
    holder: holder ?? { pid: -1, host: "?", startedAt: "?", heartbeatAt: "?" },
  };
}
