import fs from 'node:fs';

/**
 * The pid file beside the database names the process holding a data directory so a "locked" error can say who.
 * It is informational only: SQLite's exclusive file lock is what keeps a second process out, and the kernel drops
 * that lock when its holder dies, so a pid file left behind by a killed process is simply overwritten.
 */
export function writePidFile(path: string): () => void {
  fs.writeFileSync(path, `${process.pid}\n`, { mode: 0o644 });
  return () => {
    // A later holder may have rewritten the file after we lost the directory; leave theirs alone.
    if (readPid(path) === process.pid) fs.rmSync(path, { force: true });
  };
}

/** Why the directory is locked, in words, from the pid file the holder wrote. */
export function describeHolder(path: string): string {
  const pid = readPid(path);
  if (pid === undefined) return 'the store is in use by another process (no readable pid file)';
  if (pid === process.pid) return 'the store is already open in this process';
  if (isAlive(pid)) return `the store is in use by process ${pid}`;
  return `the store is in use by another process (pid file names ${pid}, which is gone: stale file)`;
}

function readPid(path: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
