#!/usr/bin/env node
/**
 * Operator commands against a running supervisor:
 *   tsx fs-service/control/admin-main.ts --supervisor 127.0.0.1:7100 --secret S status
 *   tsx fs-service/control/admin-main.ts --supervisor 127.0.0.1:7100 --secret S map
 *   tsx fs-service/control/admin-main.ts --supervisor 127.0.0.1:7100 --secret S move --vb 17 --from s1 --to s4
 * Any supervisor answers; a move sent to a standby is sent again to the leader it names.
 */
import { parseArgs } from 'node:util';
import { parseOrExit, printHelp } from '../common/cli-options.js';
import { authorizationHeader, secretFromEnvironment } from '../wire/cluster-secret.js';

const USAGE = `usage: tsx fs-service/control/admin-main.ts [options] status|map|move
  status      the leader; shards: registered address, alive, bootId, epoch, catchingUp
  map         the vbucket map: epoch, shards, per vbucket its copies (primary first)
  move        move one vbucket's copy: --vb N --from SHARD --to SHARD (run by the leader)
  (a new shard joins the map by itself when it registers in etcd; then move copies to it)
options:
  --supervisor HOST:PORT  any supervisor's admin API (env FS_SUPERVISOR, default 127.0.0.1:7100)
  --secret S              cluster secret (env FS_CLUSTER_SECRET, or the file FS_CLUSTER_SECRET_FILE names)
  --vb N                  move: the vbucket
  --from SHARD            move: the shard that gives the copy up
  --to SHARD              move: the shard that receives it
  --help, -h              print this text and exit`;

async function main(): Promise<void> {
  const { values, positionals } = parseOrExit(USAGE, () =>
    parseArgs({
      allowPositionals: true,
      options: {
        supervisor: { type: 'string', default: process.env.FS_SUPERVISOR ?? '127.0.0.1:7100' },
        secret: { type: 'string', default: secretFromEnvironment() ?? '' },
        vb: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) printHelp(USAGE);
  const command = positionals[0];
  const routes: Record<string, { method: string; path: string; body?: unknown }> = {
    status: { method: 'GET', path: '/status' },
    map: { method: 'GET', path: '/map' },
    move: { method: 'POST', path: '/move', body: { vb: Number(values.vb), from: values.from, to: values.to } },
  };
  const route = parseOrExit(USAGE, () => {
    if (command === undefined) throw new Error('no command given');
    const found = Object.hasOwn(routes, command) ? routes[command] : undefined;
    if (found === undefined) throw new Error(`unknown command "${command}"`);
    if (positionals.length > 1) throw new Error(`unexpected argument "${positionals[1]}"`);
    return found;
  });
  const send = (base: string) =>
    fetch(`${base}${route.path}`, {
      method: route.method,
      headers: { authorization: authorizationHeader(values.secret ?? ''), 'content-type': 'application/json' },
      ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
    });
  let response = await send(`http://${values.supervisor}`);
  let answer = (await response.json()) as { leader?: { adminUrl?: string | null } };
  const leader = answer.leader?.adminUrl;
  if (response.status === 409 && typeof leader === 'string') {
    response = await send(leader);
    answer = (await response.json()) as typeof answer;
  }
  process.stdout.write(JSON.stringify(answer, null, 2) + '\n');
  process.exit(response.ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`admin command failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
