/**
 * The adapter chain of a running proxy, from adapters.yml. Until the config reader lands, the proxy forwards
 * without adapters and says so when a file is there.
 */
import fs from 'node:fs';
import { noAdapters, type AdapterSourceFactory } from './daemon.js';

export const adapterSource: AdapterSourceFactory = async (adapters, log) => {
  if (adapters.explicit || fs.existsSync(adapters.file)) {
    log.warn(
      { file: adapters.file },
      'adapters.yml is not read by this build yet: forwarding without adapters',
    );
  }
  return noAdapters(adapters, log);
};
