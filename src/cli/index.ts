export {
  runCli,
  buildProgram,
  coreVerbs,
  VERB_GROUPS,
  DEFAULT_API,
  type CliIo,
  type QueryOptions,
  type VerbContext,
  type VerbGroup,
} from './run.js';
export { formatTable, ago, bytes, speed } from './table.js';
export { dpidArg, apiUrlArg, tcpPortArg, hostArg, macArg, ipv4Arg, vlanArg } from './args.js';
