import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this file with a package.json (works from src and dist). */
export const REPO_ROOT: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('harness: no package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
})();

/** The interpreter that has the mininet module (the python3 on PATH may be a build without it). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
export const MININET_DRIVER = path.join(REPO_ROOT, 'scripts', 'mininet', 'net.py');
export const SLUICE_CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
