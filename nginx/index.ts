export { renderNginxConfig } from './render-config.js';
export type { NginxSettings } from './render-config.js';
