export {
  ForwardingApp,
  FORWARDING_APP_ID,
  FORWARDING_PRIORITY,
  DENY_PRIORITY,
  type ForwardingOptions,
  type Outgoing,
} from './app.js';
