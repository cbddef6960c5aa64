import { parseArgs } from 'node:util';

type Spec = Record<string, { env: string; default?: string; multiple?: boolean; help: string }>;

/**
 * Command-line flags with environment fallbacks (`--port 7001` or FS_SHARD_PORT=7001), so the
 * same entry file works from a shell, a process manager or a container.
 */
export function readOptions<S extends Spec>(spec: S, argv = process.argv.slice(2)): { [K in keyof S]: S[K]['multiple'] extends true ? string[] : string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.entries(spec).map(([name, s]) => [name, { type: 'string' as const, multiple: s.multiple === true }])),
    allowPositionals: false,
  });
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, s] of Object.entries(spec)) {
    const given = values[name];
    const fromEnv = process.env[s.env];
    if (s.multiple === true) {
      const list = Array.isArray(given) ? given : [];
      out[name] = list.length > 0 ? list : fromEnv !== undefined && fromEnv !== '' ? fromEnv.split(',') : [];
    } else {
      out[name] = (typeof given === 'string' ? given : undefined) ?? fromEnv ?? s.default;
    }
  }
  return out as { [K in keyof S]: S[K]['multiple'] extends true ? string[] : string | undefined };
}

export function usage(command: string, spec: Spec): string {
  return [`usage: ${command}`, ...Object.entries(spec).map(([name, s]) => `  --${name.padEnd(12)} ${s.help} (env ${s.env}${s.default === undefined ? '' : `, default ${s.default}`})`)].join('\n');
}

export function requireOption(value: string | undefined, name: string, help: string): string {
  if (value === undefined || value === '') {
    process.stderr.write(`missing --${name}\n${help}\n`);
    process.exit(2);
  }
  return value;
}

/** Stops cleanly on SIGTERM/SIGINT. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop().finally(() => process.exit(0));
    });
  }
}
