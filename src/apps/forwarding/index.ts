export { ForwardingApp, FORWARDING_APP_ID, type ForwardingOptions, type RouteConstraint } from './app.js';
