export { ForwardingApp, FORWARDING_APP_ID, type ForwardingOptions, type RouteConstraint } from './app.js';
export { serviceMac, type ServiceAddress, type ServiceMember, type ServiceView } from './service.js';
