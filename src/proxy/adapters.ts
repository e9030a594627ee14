/**
 * The adapter chain of a running proxy: adapters.yml as the watcher keeps it (a bad new file keeps the last
 * good one), matched per request (config.ts), run by chain.ts through one keep-alive HookCaller (caller.ts).
 * `builtin:NAME` adapters are served in-process from `builtins`.
 */
import { makeHookCaller } from './caller.js';
import { dockerStyleError, runPostHooks, runPreHooks } from './chain.js';
import { hooksFor, type ProxyConfig } from './config.js';
import { builtinAdapters } from './builtins.js';
import type { AdapterSourceFactory, ProxyDaemonConfig } from './daemon.js';
import type { ProxyChain } from './server.js';
import type { AdapterHandler } from './types.js';
import { watchAdaptersConfig } from './watch.js';

export function adapterSourceWith(
  builtinsFor: (config: ProxyDaemonConfig) => Map<string, AdapterHandler> = () => new Map(),
): AdapterSourceFactory {
  return async (adapters, log, daemonConfig) => {
    const builtins = builtinsFor(daemonConfig);
    const watcher = await watchAdaptersConfig(adapters.file, {
      required: adapters.explicit,
      builtins: [...builtins.keys()],
      log,
    });
    const call = makeHookCaller({ timeoutMs: adapters.timeoutMs, builtins });
    const chainFor = (config: ProxyConfig): ProxyChain => ({
      hooks: (method, path) => hooksFor(config, method, path),
      runPre: runPreHooks,
      runPost: runPostHooks,
      call,
      failureAnswer: dockerStyleError,
    });
    let config = watcher.current();
    let chain = chainFor(config);
    return {
      current() {
        const now = watcher.current();
        if (now !== config) {
          config = now;
          chain = chainFor(now);
        }
        return chain;
      },
      async close() {
        watcher.close();
        await call.close();
      },
    };
  };
}

/** The proxy's adapters, with the built-ins (builtins.ts). */
export const adapterSource = adapterSourceWith(builtinAdapters);
