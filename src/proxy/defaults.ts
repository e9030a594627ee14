/** Defaults of `sluice proxy` (a leaf module: the CLI reads them without loading the proxy). */
export const DEFAULT_ADAPTERS_FILE = '/etc/sluice/adapters.yml';
export const DEFAULT_ADAPTER_TIMEOUT_MS = 10_000;
