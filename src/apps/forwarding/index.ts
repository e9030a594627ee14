export { ForwardingApp, FORWARDING_APP_ID, type ForwardingOptions } from './app.js';
