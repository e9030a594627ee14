/** What `ip` shows in the root namespace: its interfaces and the named network namespaces. */
import { run } from './exec.js';

export async function rootInterfaces(): Promise<string[]> {
  const r = await run('ip', ['-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => l.match(/^\d+:\s+([^:@\s]+)/)?.[1])
    .filter((n): n is string => !!n);
}

export async function namedNamespaces(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n);
}
