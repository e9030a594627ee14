export { ApiError, ConnectionError, SluiceClient, type ClientOptions } from './client.js';
export type * from './types.js';
export type * from './qos.js';
