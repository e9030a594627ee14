/** Defaults of `sluice proxy` (a leaf module: the CLI reads them without loading the proxy). */
export const DEFAULT_ADAPTERS_FILE = '/etc/sluice/adapters.yml';
export const DEFAULT_ADAPTER_TIMEOUT_MS = 10_000;
/** The adapters served inside the proxy, named `builtin:NAME` in adapters.yml. */
export const BUILTIN_ADAPTERS: readonly string[] = ['network'];
