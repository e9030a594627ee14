/**
 * `sluice proxy check FILE [--json]`: validates an adapters.yml as `sluice proxy` reads it. A good file prints
 * `FILE: OK (3 endpoints, 2 adapters)` and the endpoints with their adapters; a bad one prints every problem
 * with its line on stderr (`adapters.yml:7: endpoints."POST /x": ...`) and exits 1.
 */
import type { Command } from 'commander';
import type { ConfigProblem, ProxyConfig } from '../proxy/config.js';
import { BUILTIN_ADAPTERS } from '../proxy/defaults.js';
import { ExitCode } from './network.js';
import type { CliIo } from './run.js';
import { formatTable } from './table.js';

/** What `--json` prints for a valid file. */
export function checkJson(c: ProxyConfig) {
  return {
    file: c.file,
    ok: true,
    endpoints: c.endpoints.map((e) => ({
      endpoint: e.key,
      method: e.method,
      glob: e.glob,
      line: e.line,
      pre: e.pre.map((a) => a.name),
      post: e.post.map((a) => a.name),
    })),
    adapters: c.adapters,
  };
}

export function checkText(c: ProxyConfig, summary: string): string {
  const names = (list: readonly { name: string }[]) => list.map((a) => a.name).join(', ') || '-';
  let out = `${c.file}: OK (${summary})\n`;
  if (c.endpoints.length > 0) {
    out += `\n${formatTable(
      ['endpoint', 'pre', 'post'],
      c.endpoints.map((e) => [e.key, names(e.pre), names(e.post)]),
    )}`;
  }
  if (c.adapters.length > 0) {
    out += `\n${formatTable(
      ['adapter', 'url'],
      c.adapters.map((a) => [a.name, a.url]),
    )}`;
  }
  return out;
}

/** Adds `check` to the `proxy` command. */
export function addProxyCheck(proxy: Command, io: CliIo): Command {
  proxy
    .command('check')
    .description('validate an adapters.yml: its endpoints and adapters, or every problem with its line')
    .argument('<file>', 'the adapters.yml to check')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      // Loaded here, not with the CLI: other verbs do not need yaml.
      const { ConfigError, configSummary, problemText } = await import('../proxy/config.js');
      const { loadAdaptersConfig } = await import('../proxy/watch.js');
      let config: ProxyConfig;
      try {
        config = await loadAdaptersConfig(file, { builtins: BUILTIN_ADAPTERS });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const errors: readonly ConfigProblem[] = err.problems;
        if (o.json) io.stdout(JSON.stringify({ file, ok: false, errors }, null, 2) + '\n');
        else {
          const n = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
          io.stderr(errors.map((p) => `${problemText(p)}\n`).join('') + `${file}: invalid (${n})\n`);
        }
        throw new ExitCode(1);
      }
      io.stdout(
        o.json ? JSON.stringify(checkJson(config), null, 2) + '\n' : checkText(config, configSummary(config)),
      );
    });
  return proxy;
}
