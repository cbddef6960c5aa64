/**
 * Operator commands against a running supervisor:
 *   tsx fs-service/admin-main.ts --supervisor 127.0.0.1:7100 --secret S status
 *   tsx fs-service/admin-main.ts --supervisor 127.0.0.1:7100 --secret S map
 *   tsx fs-service/admin-main.ts --supervisor 127.0.0.1:7100 --secret S move --vb 17 --from s1 --to s4
 *   tsx fs-service/admin-main.ts --supervisor 127.0.0.1:7100 --secret S add-shard --id s4 --url 127.0.0.1:7004
 */
import { parseArgs } from 'node:util';
import { authorizationHeader } from './cluster-secret.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      supervisor: { type: 'string', default: process.env.FS_SUPERVISOR ?? '127.0.0.1:7100' },
      secret: { type: 'string', default: process.env.FS_CLUSTER_SECRET ?? '' },
      vb: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      id: { type: 'string' },
      url: { type: 'string' },
    },
  });
  const command = positionals[0];
  const routes: Record<string, { method: string; path: string; body?: unknown }> = {
    status: { method: 'GET', path: '/status' },
    map: { method: 'GET', path: '/map' },
    move: { method: 'POST', path: '/move', body: { vb: Number(values.vb), from: values.from, to: values.to } },
    'add-shard': { method: 'POST', path: '/shards', body: { id: values.id, url: values.url } },
  };
  const route = command === undefined ? undefined : routes[command];
  if (route === undefined) {
    process.stderr.write(`usage: admin-main.ts [--supervisor host:port] [--secret S] ${Object.keys(routes).join('|')} [...]\n`);
    process.exit(2);
  }
  const response = await fetch(`http://${values.supervisor}${route.path}`, {
    method: route.method,
    headers: { authorization: authorizationHeader(values.secret ?? ''), 'content-type': 'application/json' },
    ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
  });
  process.stdout.write(JSON.stringify(await response.json(), null, 2) + '\n');
  process.exit(response.ok ? 0 : 1);
}

void main();
