#!/usr/bin/env node
/**
 * vmapctl: the command-line client of vmapd's gRPC service. Human output by
 * default, `--json` for scripts. Exit status: 0 on success, 1 when the server
 * (or the network) says no, 2 when the command line itself is wrong, which is
 * always detected before connecting.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { parseU64 } from '../vmap/geometry.js';
import { parseSize } from '../client/sizes.js';
import { packageVersion } from '../version.js';
import { VmapClientError, type VmapClient } from '../client/index.js';
import { addConnectionOptions, type Connection, failureHint, openClient, UsageError } from './vmapctl-connection.js';
import { areaJson, areaLine, freeJson, freeLine, meminfoJson, meminfoText, purgeJson, purgeLine, vmallocinfoLine } from './vmapctl-format.js';
import { messageOf } from '../vmap/errors.js';
import { registerReplay } from './vmapctl-replay.js';

/** The server or the network refused: the command line was fine. */
const EXIT_FAILED = 1;
/** The command line was wrong; nothing was sent. */
const EXIT_USAGE = 2;

const U32_MAX = 2 ** 32 - 1;

/** The output option every subcommand shares (the connection options are in vmapctl-connection.ts). */
interface GlobalOptions {
  json?: boolean;
}

/**
 * Whether the current command asked for JSON. Set once commander has parsed;
 * before that (commander's own errors) the raw argv is the best we know.
 */
let jsonWanted: boolean | undefined;

function wantsJson(): boolean {
  return jsonWanted ?? process.argv.slice(2).includes('--json');
}

/** How the current command connected, once it has: what a failure hint is based on. */
let connection: Connection | undefined;

/** Commander parser for byte counts, so a bad size fails at parse time with the argument named. */
function bytes(field: string) {
  return (value: string): bigint => {
    try {
      return parseSize(value, field);
    } catch {
      throw new InvalidArgumentError('must be a byte count below 2^64: 4096, 8k, 2M, 1G (binary multiples) or 0x hex');
    }
  };
}

/** Commander parser for addresses: hex 0x… or decimal, as parseU64 takes them. */
function address(field: string) {
  return (value: string): bigint => {
    try {
      return parseU64(value, field);
    } catch {
      throw new InvalidArgumentError('must be an address below 2^64, 0x hex or decimal');
    }
  };
}

/** Commander parser for an integer in [min, max]. */
function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^[0-9]+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** Prints `doc` as one line of JSON, or `text` as is. */
function output(json: boolean, doc: unknown, text: string): void {
  process.stdout.write(json ? JSON.stringify(doc) + '\n' : text);
}

/**
 * Reports a failure the one way vmapctl does: `vmapctl: STATUS: details` on
 * stderr (then `vmapctl: hint: …` when there is one), and with --json also
 * `{"error", "message"}` on stdout so a script reading stdout always gets a
 * document.
 */
function report(status: string, message: string, extra: { field?: string; hint?: string } = {}): void {
  process.stderr.write(`vmapctl: ${status}: ${message}\n`);
  if (extra.hint !== undefined) process.stderr.write(`vmapctl: hint: ${extra.hint}\n`);
  if (wantsJson()) process.stdout.write(JSON.stringify({ error: status, message, ...extra }) + '\n');
}

/**
 * Runs `fn` with a client for the global connection options, and always
 * closes the client after, so no channel keeps the process alive.
 */
async function withClient(cmd: Command, fn: (client: VmapClient, json: boolean) => Promise<void>): Promise<void> {
  jsonWanted = cmd.optsWithGlobals<GlobalOptions>().json === true;
  const opened = openClient(cmd);
  const client = opened.client;
  connection = opened.connection;
  try {
    await fn(client, jsonWanted);
  } finally {
    client.close();
  }
}

const program = addConnectionOptions(
  new Command()
    .name('vmapctl')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .description('Command-line client of vmapd: allocate, free, find and list areas of its shared virtual address space over gRPC.'),
)
  .option('--json', 'print one JSON document on stdout (addresses as 0x%016x strings, byte counts as numbers)')
  // Commander's exits go through our catch, so usage errors get exit status 2.
  .exitOverride()
  .configureOutput({
    outputError: (str) => report('INVALID_ARGUMENT', str.replace(/^error: /, '').trimEnd()),
  })
  .addHelpText(
    'after',
    `
Sizes: 4096, 8k, 2M, 1G (binary multiples) or 0x hex. Addresses: 0x hex or decimal.
Exit status: 0 ok, 1 the server or network refused, 2 bad command line.
A token on the command line is visible to other users (ps); VMAPCTL_TOKEN is not.
The token is sent in the clear unless TLS is on (--tls-ca).

Examples:
  vmapctl alloc 8k --caller mydriver
  vmapctl --json alloc 2M --align 2M
  vmapctl free 0xffffc90000000000
  vmapctl ls --lazy
  VMAPCTL_TARGET=vmapd:50051 vmapctl meminfo
  VMAPCTL_TOKEN=$(cat ~/.vmapd-token) vmapctl alloc 8k
  vmapctl --tls-ca ca.pem --tls-cert me.pem --tls-key me.key --target vmapd:50051 ls`,
  );

program
  .command('alloc')
  .description('reserve the lowest range that fits SIZE (rounded up to pages, plus a guard page unless --no-guard)')
  .argument('<size>', 'usable bytes: 4096, 8k, 2M, 1G', bytes('size'))
  .option('--align <bytes>', 'alignment of the start address, a power of two (default: a page)', bytes('align'))
  .option('--caller <name>', 'label shown in vmallocinfo')
  .option('--vstart <addr>', 'lowest acceptable start address (default: start of the space)', address('vstart'))
  .option('--vend <addr>', 'end of the acceptable range (default: end of the space)', address('vend'))
  .option('--no-guard', 'do not reserve a guard page after the area')
  .option('--request-id <id>', 'idempotency key: a retry with the same id returns the same area')
  .addHelpText(
    'after',
    `
Prints start-end (end includes the guard page), reserved bytes, usable size, caller and owner.

Examples:
  vmapctl alloc 8k
  vmapctl alloc 64k --align 64k --caller mydriver
  vmapctl alloc 1M --vstart 0xffffc90040000000 --vend 0xffffc90080000000 --no-guard`,
  )
  .action(
    (size: bigint, o: { align?: bigint; caller?: string; vstart?: bigint; vend?: bigint; guard: boolean; requestId?: string }, cmd: Command) =>
      withClient(cmd, async (client, json) => {
        const placement = { align: o.align ?? 0n, vstart: o.vstart ?? 0n, vend: o.vend ?? 0n, noGuard: !o.guard, caller: o.caller ?? '' };
        // Retried only with the user's --request-id: vmapctl sends no key of its own (its output shows the key).
        const area = o.requestId === undefined ? await client.alloc(size, placement, { retry: false }) : await client.alloc(size, { ...placement, requestId: o.requestId });
        output(json, areaJson(area), areaLine(area));
      }),
  );

program
  .command('free')
  .description('lazily free the area starting at ADDR (it stays reserved until purged)')
  .argument('<addr>', 'start address of the area: 0x hex or decimal', address('addr'))
  .action((addr: bigint, _o: unknown, cmd: Command) =>
    withClient(cmd, async (client, json) => {
      const r = await client.free(addr);
      output(json, freeJson(addr, r), freeLine(addr, r));
    }),
  );

program
  .command('find')
  .description('show the busy area containing ADDR')
  .argument('<addr>', 'any address inside the area: 0x hex or decimal', address('addr'))
  .action((addr: bigint, _o: unknown, cmd: Command) =>
    withClient(cmd, async (client, json) => {
      const area = await client.find(addr);
      output(json, areaJson(area), areaLine(area));
    }),
  );

program
  .command('purge')
  .description('return every lazily freed area to free space')
  .action((_o: unknown, cmd: Command) =>
    withClient(cmd, async (client, json) => {
      const r = await client.purge();
      output(json, purgeJson(r), purgeLine(r));
    }),
  );

program
  .command('meminfo')
  .description('how full the space is, in /proc/meminfo format (as HTTP /meminfo), with the snapshot generation')
  .action((_o: unknown, cmd: Command) =>
    withClient(cmd, async (client, json) => {
      const m = await client.memInfo();
      output(json, meminfoJson(m), meminfoText(m));
    }),
  );

program
  .command('ls')
  .description('list areas in ascending address order, /proc/vmallocinfo style (--json: an array)')
  .option('--from <addr>', 'first address to list from', address('from'))
  .option('--limit <n>', 'at most N areas (0 = all)', integer(0, U32_MAX))
  .option('--lazy', 'include lazily freed areas awaiting purge')
  .action((o: { from?: bigint; limit?: number; lazy?: boolean }, cmd: Command) =>
    withClient(cmd, async (client, json) => {
      const all: Record<string, unknown>[] = [];
      for await (const area of client.listAreas({ from: o.from ?? 0n, limit: o.limit ?? 0, includeLazy: o.lazy === true })) {
        // Text goes out as it arrives; JSON must be whole, so it waits for the end.
        if (json) all.push(areaJson(area));
        else process.stdout.write(vmallocinfoLine(area));
      }
      if (json) output(true, all, '');
    }),
  );

registerReplay(program, withClient);

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    // Already printed by commander (help, or an error via outputError).
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
  } else if (err instanceof UsageError) {
    report('INVALID_ARGUMENT', err.message);
    process.exitCode = EXIT_USAGE;
  } else if (err instanceof VmapClientError) {
    const field = err.field;
    const hint = connection === undefined ? undefined : failureHint(err, connection);
    // grpc-js details can end in an empty "Resolution note: ", and OpenSSL's
    // errors span lines: one line of details keeps the report one line.
    const details = err.details.replace(/\s*\n\s*/g, ' ').replace(/\s*Resolution note:\s*$/, '').trim();
    report(err.code, details, { ...(typeof field === 'string' ? { field } : {}), ...(hint === undefined ? {} : { hint }) });
    process.exitCode = EXIT_FAILED;
  } else {
    report('INTERNAL', messageOf(err));
    process.exitCode = EXIT_FAILED;
  }
}
