export { renderNginxConfig } from './render-config.js';
export type { NginxSettings } from './render-config.js';
export { startCluster, stopCluster, clusterStatus, restartFrontend, readState } from './cluster.js';
export type { ClusterOptions, ClusterState, ProcessStatus } from './cluster.js';
export type { ManagedProcess } from './processes.js';
export { isAlive, stopProcess } from './processes.js';
export { reloadNginx, setUpstreamDown, childrenOf } from './nginx-control.js';
