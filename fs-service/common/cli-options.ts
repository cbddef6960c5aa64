import { parseArgs, type ParseArgsConfig } from 'node:util';

type Spec = Record<string, { env: string; default?: string; multiple?: boolean; help: string }>;

/**
 * Command-line flags with environment fallbacks (`--port 7001` or FS_SHARD_PORT=7001), so the
 * same entry file works from a shell, a process manager or a container. `--help`/`-h` prints the
 * usage and exits 0; an unknown option or a stray argument prints the reason and the usage to
 * stderr and exits 2, before the caller starts anything.
 */
export function readOptions<S extends Spec>(command: string, spec: S, argv = process.argv.slice(2)): { [K in keyof S]: S[K]['multiple'] extends true ? string[] : string | undefined } {
  const help = usage(command, spec);
  const options: ParseArgsConfig['options'] = {
    ...Object.fromEntries(Object.entries(spec).map(([name, s]) => [name, { type: 'string' as const, multiple: s.multiple === true }])),
    help: { type: 'boolean', short: 'h' },
  };
  const values = parseOrExit(help, () => parseArgs({ args: argv, options, allowPositionals: false }).values);
  if (values.help === true) printHelp(help);
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, s] of Object.entries(spec)) {
    const given = values[name];
    const fromEnv = process.env[s.env];
    if (s.multiple === true) {
      const list = Array.isArray(given) ? given.filter((v): v is string => typeof v === 'string') : [];
      out[name] = list.length > 0 ? list : fromEnv !== undefined && fromEnv !== '' ? fromEnv.split(',') : [];
    } else {
      out[name] = (typeof given === 'string' ? given : undefined) ?? fromEnv ?? s.default;
    }
  }
  return out as { [K in keyof S]: S[K]['multiple'] extends true ? string[] : string | undefined };
}

export function usage(command: string, spec: Spec): string {
  return [
    `usage: ${command} [options]`,
    ...Object.entries(spec).map(([name, s]) => `  --${name.padEnd(18)} ${s.help} (env ${s.env}${s.default === undefined ? '' : `, default ${s.default}`})`),
    `  --help, -h${' '.repeat(10)} print this text and exit`,
  ].join('\n');
}

/** The parse's result; its error (node's parseArgs message) goes to stderr with the usage, exit 2. */
export function parseOrExit<T>(help: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${help}\n`);
    process.exit(2);
  }
}

/** `--help`: the usage on stdout, exit 0. */
export function printHelp(help: string): never {
  process.stdout.write(`${help}\n`);
  process.exit(0);
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
