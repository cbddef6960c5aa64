import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The full-HA front door on one machine (`npm run cluster -- start --ha`): each front-door node
 * is a network namespace with its own address, joined to the others and to this machine by a
 * bridge, so keepalived's VRRP and the virtual IP's gratuitous ARPs run for real. The bridge's
 * subnet is private to the machine: nothing routes it anywhere (no default route in the
 * namespaces). The machine itself (etcd, shards, supervisors, front ends) is on the bridge too, at
 * `hostAddress`, where the nodes' nginx reach the front ends. Linux only; needs root.
 */
export interface FrontDoorNode {
  /** node name: n1, n2 ... */
  name: string;
  netns: string;
  /** The veth end in this machine's namespace, on the bridge (the other end is `eth0` inside). */
  veth: string;
  address: string;
}

export interface FrontDoorNetwork {
  bridge: string;
  /** This machine's address on the bridge: the front ends listen there. */
  hostAddress: string;
  prefixLength: number;
  /** The virtual IP the nodes' keepalived pass between them. */
  vip: string;
  /** The interface inside every node's namespace. */
  interface: string;
  nodes: FrontDoorNode[];
}

/** 10.213.<index>.0/24: one subnet per front door running on this machine. */
const SUBNET = (index: number) => `10.213.${index}`;
const INSIDE = 'eth0';

function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? '';
    throw new Error(`ip ${args.join(' ')}: ${stderr || (err as Error).message}`);
  }
}

/** Runs every step, even after one fails (a teardown must not stop half-way); answers the failures. */
function everyStep(steps: (() => void)[]): string[] {
  const failures: string[] = [];
  for (const step of steps) {
    try {
      step();
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  return failures;
}

/**
 * Creates the bridge, one namespace per node with a veth into the bridge, and the addresses:
 * .1 this machine, .11, .12 ... the nodes, .100 the virtual IP (held by no one until keepalived
 * runs). The first free index (no bridge of that name, no address in its subnet) is taken; the
 * bridge is created first, so two launchers cannot take the same one. On failure, removes what it made.
 */
export function createFrontDoorNetwork(nodeCount: number): FrontDoorNetwork {
  if (nodeCount < 2) throw new Error('a front door needs two nodes or more');
  const used = ip(['-4', '-o', 'addr', 'show']);
  for (let index = 1; index <= 250; index++) {
    const bridge = `crha${index}`;
    if (existsSync(`/sys/class/net/${bridge}`) || used.includes(` ${SUBNET(index)}.`)) continue;
    try {
      ip(['link', 'add', 'name', bridge, 'type', 'bridge']);
    } catch (err) {
      // Taken meanwhile: the next one. Anything else (not root, no bridge support) is the answer.
      if (/File exists/.test((err as Error).message)) continue;
      throw new Error(`cannot make the front door's network (needs root and Linux network namespaces): ${(err as Error).message}`);
    }
    const net: FrontDoorNetwork = {
      bridge,
      hostAddress: `${SUBNET(index)}.1`,
      prefixLength: 24,
      vip: `${SUBNET(index)}.100`,
      interface: INSIDE,
      nodes: Array.from({ length: nodeCount }, (_, i) => ({ name: `n${i + 1}`, netns: `content-repo-ha${index}-n${i + 1}`, veth: `${bridge}n${i + 1}`, address: `${SUBNET(index)}.${11 + i}` })),
    };
    try {
      ip(['addr', 'add', `${net.hostAddress}/${net.prefixLength}`, 'dev', bridge]);
      ip(['link', 'set', bridge, 'up']);
      for (const node of net.nodes) {
        ip(['netns', 'add', node.netns]);
        ip(['link', 'add', node.veth, 'type', 'veth', 'peer', 'name', INSIDE, 'netns', node.netns]);
        ip(['link', 'set', node.veth, 'master', bridge, 'up']);
        ip(['-n', node.netns, 'addr', 'add', `${node.address}/${net.prefixLength}`, 'dev', INSIDE]);
        ip(['-n', node.netns, 'link', 'set', INSIDE, 'up']);
        // keepalived's check asks nginx on 127.0.0.1.
        ip(['-n', node.netns, 'link', 'set', 'lo', 'up']);
      }
      return net;
    } catch (err) {
      removeFrontDoorNetwork(net);
      throw err;
    }
  }
  throw new Error('no free front-door subnet (10.213.1-250.0/24) on this machine');
}

/** The processes inside a node's namespace (started there by the launcher: nginx, keepalived, their checks). */
export function namespacePids(netns: string): number[] {
  if (!existsSync(`/run/netns/${netns}`)) return [];
  try {
    return ip(['netns', 'pids', netns])
      .split('\n')
      .filter((l) => /^\d+$/.test(l.trim()))
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Removes the network: SIGKILL to whatever still runs in its namespaces (only processes the
 * launcher started there; a graceful stop came before), then the veths, the namespaces and the
 * bridge. Missing pieces are skipped; what could not be removed is thrown, named.
 */
export function removeFrontDoorNetwork(net: FrontDoorNetwork): void {
  for (const node of net.nodes) {
    for (const pid of namespacePids(node.netns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  const present = (name: string) => existsSync(`/sys/class/net/${name}`);
  const failures = everyStep([
    ...net.nodes.map((node) => () => void (present(node.veth) && ip(['link', 'del', node.veth]))),
    ...net.nodes.map((node) => () => void (existsSync(`/run/netns/${node.netns}`) && ip(['netns', 'del', node.netns]))),
    () => void (present(net.bridge) && ip(['link', 'del', net.bridge])),
  ]);
  if (failures.length > 0) throw new Error(`front-door network ${net.bridge} not wholly removed:\n${failures.join('\n')}`);
}

/** The nodes whose namespace holds the virtual IP now (one, but for the seconds of a takeover). */
export function vipHolders(net: FrontDoorNetwork): string[] {
  return net.nodes
    .filter((node) => {
      try {
        return ip(['-n', node.netns, '-4', '-o', 'addr', 'show', 'dev', net.interface]).includes(` ${net.vip}/`);
      } catch {
        return false;
      }
    })
    .map((node) => node.name);
}
