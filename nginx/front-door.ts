import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderKeepalivedConfig } from './keepalived-config.js';
import type { FrontDoorNetwork } from './netns.js';
import { isAlive, type ManagedProcess, pidFileOf, startDetached, waitForHttp } from './processes.js';

/**
 * The launcher's HA front door (`npm run cluster -- start --ha`): an nginx and a keepalived in each
 * node's network namespace (netns.ts), and the names and files by which the launcher finds them.
 */

/** An nginx of the cluster: `nginx` (one, on loopback) or `nginx-n1`... (the HA front door's nodes). */
export const isNginx = (role: string): boolean => role === 'nginx' || role.startsWith('nginx-');
export const isKeepalived = (role: string): boolean => role.startsWith('keepalived-');

/** The configuration of an nginx role: <dir>/<role>/nginx.conf. */
export const nginxConfOf = (dir: string, role: string): string => join(dir, role, 'nginx.conf');

/** keepalived's pid files: the parent's (the role's) and its VRRP child's. */
export const keepalivedPidFiles = (dir: string, node: string) => ({ parent: pidFileOf(dir, `keepalived-${node}`), vrrp: pidFileOf(dir, `keepalived-${node}-vrrp`) });

export interface FrontDoorStart {
  nginxBinary: string;
  keepalivedBinary: string;
  curlBinary: string;
  port: number;
  temp: string;
  env: NodeJS.ProcessEnv;
  nginxConfig: (prefix: string, temp: string, listen: string) => string;
  log: (line: string) => void;
}

/**
 * One nginx and one keepalived in each node's namespace: nginx listens on every address of its
 * node (the virtual IP comes and goes), keepalived checks it on 127.0.0.1 there and passes the
 * virtual IP to a node whose nginx answers. The first node has the highest priority, so it holds
 * the address after a start; none takes it back later (nopreempt).
 */
export async function startFrontDoor(dir: string, net: FrontDoorNetwork, o: FrontDoorStart): Promise<ManagedProcess[]> {
  const started: ManagedProcess[] = [];
  for (const node of net.nodes) {
    const role = `nginx-${node.name}`;
    const prefix = join(dir, role);
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    const nodeTemp = join(o.temp, node.name);
    mkdirSync(nodeTemp, { mode: 0o777 });
    chmodSync(nodeTemp, 0o777);
    writeFileSync(nginxConfOf(dir, role), o.nginxConfig(prefix, nodeTemp, `0.0.0.0:${o.port}`));
    const nginx = { ...startDetached(role, ['ip', 'netns', 'exec', node.netns, o.nginxBinary, '-p', prefix, '-c', nginxConfOf(dir, role)], join(dir, 'logs', `${role}.log`), o.env, o.port), pidFile: join(prefix, 'nginx.pid') };
    started.push(nginx);
    await waitForHttp(`http://${node.address}:${o.port}/nginx-healthz`, 30_000, () => !isAlive(nginx.pid));
  }
  mkdirSync(join(dir, 'keepalived'), { recursive: true });
  net.nodes.forEach((node, i) => {
    const conf = join(dir, 'keepalived', `${node.name}.conf`);
    writeFileSync(
      conf,
      renderKeepalivedConfig({
        name: node.name,
        interface: net.interface,
        address: node.address,
        peers: net.nodes.filter((n) => n !== node).map((n) => n.address),
        vip: `${net.vip}/${net.prefixLength}`,
        priority: 200 - i,
        check: { curl: o.curlBinary, url: `http://127.0.0.1:${o.port}/nginx-healthz` },
      }),
    );
    const pids = keepalivedPidFiles(dir, node.name);
    // -n: stays in the foreground (the launcher's process); -P: VRRP only; -l -G: logs to its log file, not syslog.
    const command = ['ip', 'netns', 'exec', node.netns, o.keepalivedBinary, '-n', '-l', '-D', '-G', '-P', '-f', conf, '-p', pids.parent, '-r', pids.vrrp];
    started.push({ ...startDetached(`keepalived-${node.name}`, command, join(dir, 'logs', `keepalived-${node.name}.log`), o.env), pidFile: pids.parent });
  });
  o.log(`front door: ${net.nodes.map((n) => `${n.name} ${n.address}`).join(', ')}; keepalived started, virtual IP ${net.vip}`);
  return started;
}
