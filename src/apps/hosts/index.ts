export {
  HostsApp,
  HOSTS_APP_ID,
  hostView,
  type HostsOptions,
  type Host,
  type HostView,
  type HostFilter,
  type HostMove,
  type HostsEvents,
} from './app.js';
