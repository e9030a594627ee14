export { ForwardingApp, FORWARDING_APP_ID, type ForwardingOptions, type Outgoing } from './app.js';
