/**
 * A small, strict command-line flag parser. Every command declares its flags; unknown flags,
 * missing values and repeated single-valued flags are usage errors (exit code 2), named precisely.
 */
import { formatBytes, parseBytes, parseDuration, QuantityError } from '../domain/units.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type FlagKind = 'string' | 'boolean' | 'list';

export interface FlagSpec {
  readonly kind: FlagKind;
  readonly help: string;
  /** Placeholder shown in help, e.g. "QUANTITY". */
  readonly value?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedFlags {
  readonly strings: ReadonlyMap<string, string>;
  readonly booleans: ReadonlySet<string>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
  readonly positionals: readonly string[];
}

export function parseFlags(args: readonly string[], specs: FlagSpecs): ParsedFlags {
  const strings = new Map<string, string>();
  const booleans = new Set<string>();
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs).map((k) => `--${k}`).join(', ');
      throw new UsageError(`unknown flag --${name} (known flags: ${known || 'none'})`);
    }
    if (spec.kind === 'boolean') {
      if (eq >= 0) {
        const v = arg.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`flag --${name} takes no value or true/false, got "${v}"`);
        if (v === 'true') booleans.add(name);
        else booleans.delete(name);
      } else {
        booleans.add(name);
      }
      continue;
    }
    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new UsageError(`flag --${name} needs a value${spec.value ? ` (${spec.value})` : ''}`);
      }
      value = next;
      i++;
    }
    if (spec.kind === 'list') {
      const list = lists.get(name) ?? [];
      list.push(value);
      lists.set(name, list);
    } else {
      if (strings.has(name)) throw new UsageError(`flag --${name} given more than once`);
      strings.set(name, value);
    }
  }
  return { strings, booleans, lists, positionals };
}

export function requireFlag(flags: ParsedFlags, name: string, what: string): string {
  const v = flags.strings.get(name);
  if (v === undefined) throw new UsageError(`missing required flag --${name} (${what})`);
  return v;
}

/** Parses a non-negative integer flag such as a port or a count. */
export function integerFlag(flags: ParsedFlags, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = flags.strings.get(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`flag --${name} expects a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`flag --${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Parses a quantity once, at the edge; a bad one is a usage error naming the flag. */
function quantityFlag(parse: (text: string, field: string) => number, flags: ParsedFlags, name: string, fallback: string): { value: number; text: string } {
  const text = flags.strings.get(name) ?? fallback;
  try {
    return { value: parse(text, `--${name}`), text };
  } catch (err) {
    if (err instanceof QuantityError) throw new UsageError(err.message);
    throw err;
  }
}

/** A duration flag (`30s`, `5m`) in milliseconds, within [minMs, maxMs]. */
export function durationFlag(flags: ParsedFlags, name: string, fallback: string, minMs: number, maxMs: number): number {
  const { value: ms, text } = quantityFlag(parseDuration, flags, name, fallback);
  if (ms < minMs || ms > maxMs) throw new UsageError(`flag --${name} must be between ${minMs / 1000}s and ${maxMs / 1000}s, got ${text}`);
  return ms;
}

/** A byte-size flag (`8Mi`, `64MB`) in bytes, within [min, max]. */
export function bytesFlag(flags: ParsedFlags, name: string, fallback: string, min: number, max: number): number {
  const { value: bytes, text } = quantityFlag(parseBytes, flags, name, fallback);
  if (bytes < min || bytes > max) throw new UsageError(`flag --${name} must be between ${formatBytes(min)} and ${formatBytes(max)}, got ${text}`);
  return bytes;
}

export function formatHelp(usage: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `  --${name}${s.kind === 'boolean' ? '' : ` ${s.value ?? 'VALUE'}`}`;
    return `${left.padEnd(40)} ${s.help}${s.kind === 'list' ? ' (repeatable)' : ''}`;
  });
  return `${usage}\n\nFlags:\n${rows.join('\n')}\n`;
}

export interface CommandOptions {
  /** The command takes positional arguments (otherwise any is a usage error). */
  readonly positionals?: boolean;
  /** Appended to the usage error for an unexpected argument, e.g. "(a scenario file goes after --file)". */
  readonly positionalHint?: string;
  /** Appended to the help text. */
  readonly helpSuffix?: string;
}

/**
 * A command's flags: with --help, prints the help and returns undefined (the command exits 0);
 * refuses positional arguments unless the command takes them.
 */
export function parseCommandFlags(args: readonly string[], specs: FlagSpecs, usage: string, options: CommandOptions = {}): ParsedFlags | undefined {
  const flags = parseFlags(args, specs);
  if (flags.booleans.has('help')) {
    process.stdout.write(formatHelp(usage, specs) + (options.helpSuffix ?? ''));
    return undefined;
  }
  if (!options.positionals && flags.positionals.length > 0) {
    throw new UsageError(`unexpected argument "${flags.positionals[0]}"${options.positionalHint ? ` ${options.positionalHint}` : ''}`);
  }
  return flags;
}
