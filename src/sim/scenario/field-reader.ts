/**
 * Reading an untyped document (parsed YAML) field by field, each read knowing its path, so that
 * every error names the field it is about: `nodes[3].link.bandwidth: expected a rate like
 * 37Mbit/s, got "fast"`. Unknown fields are errors too (a typo must not be silently ignored).
 */
import { parseBandwidth, parseBytes, parseDuration, QuantityError } from '../../domain/units.js';

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    /** e.g. `nodes[3].link.bandwidth`; empty for the document itself. */
    readonly path: string,
    readonly problem: string,
  ) {
    super(path ? `${path}: ${problem}` : problem);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return String(value);
}

/** Levenshtein distance, for "did you mean" on unknown fields. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

export function unknownFieldProblem(key: string, known: readonly string[]): string {
  const close = known.filter((k) => distance(k.toLowerCase(), key.toLowerCase()) <= Math.max(1, Math.floor(k.length / 4)));
  if (close.length > 0) return `unknown field (did you mean ${close.join(' or ')}?)`;
  return `unknown field (known fields: ${known.join(', ')})`;
}

export class Field {
  constructor(
    readonly value: unknown,
    readonly path: string,
  ) {}

  get present(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  fail(problem: string): never {
    throw new ScenarioError(this.path, problem);
  }

  at(key: string): Field {
    const value = (this.value as Record<string, unknown> | undefined)?.[key];
    return new Field(value, this.path ? `${this.path}.${key}` : key);
  }

  /** A mapping whose keys are all in `known`; returns it so that fields can be read with at(). */
  mapping(known: readonly string[]): this {
    if (!this.present || typeof this.value !== 'object' || Array.isArray(this.value)) this.fail(`expected a mapping, got ${describe(this.value)}`);
    for (const key of Object.keys(this.value as object)) {
      if (!known.includes(key)) throw new ScenarioError(this.path ? `${this.path}.${key}` : key, unknownFieldProblem(key, known));
    }
    return this;
  }

  list(): Field[] {
    if (!Array.isArray(this.value)) this.fail(`expected a list, got ${describe(this.value)}`);
    return (this.value as unknown[]).map((v, i) => new Field(v, `${this.path}[${i}]`));
  }

  /** A non-empty list. */
  items(what: string): Field[] {
    const items = this.list();
    if (items.length === 0) this.fail(`expected at least one ${what}`);
    return items;
  }

  string(): string {
    if (typeof this.value !== 'string' || this.value === '') this.fail(`expected a non-empty string, got ${describe(this.value)}`);
    return this.value as string;
  }

  optionalString(): string | undefined {
    return this.present ? this.string() : undefined;
  }

  oneOf<T extends string>(values: readonly T[], fallback?: T): T {
    if (!this.present && fallback !== undefined) return fallback;
    if (!values.includes(this.value as T)) this.fail(`expected one of ${values.join(', ')}, got ${describe(this.value)}`);
    return this.value as T;
  }

  boolean(fallback: boolean): boolean {
    if (!this.present) return fallback;
    if (typeof this.value !== 'boolean') this.fail(`expected true or false, got ${describe(this.value)}`);
    return this.value as boolean;
  }

  integer(fallback: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (!this.present && fallback !== undefined) return fallback;
    const v = this.value;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`expected a whole number, got ${describe(v)}`);
    if ((v as number) < min || (v as number) > max) this.fail(`expected a whole number from ${min} to ${max}, got ${v as number}`);
    return v as number;
  }

  /** Label-style map: string keys, string values (a number must be quoted, as Kubernetes wants). */
  stringMap(): Record<string, string> {
    if (!this.present) return {};
    if (typeof this.value !== 'object' || Array.isArray(this.value)) this.fail(`expected a mapping of strings, got ${describe(this.value)}`);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.value as object)) {
      if (typeof v !== 'string') throw new ScenarioError(`${this.path}.${k}`, `expected a string, got ${describe(v)} (quote it)`);
      out[k] = v;
    }
    return out;
  }

  private quantityText(expected: string): string {
    if (typeof this.value === 'string') return this.value;
    throw new QuantityError(this.path, expected, describe(this.value).replace(/^"|"$/g, ''), typeof this.value === 'number' ? 'it needs a unit' : undefined);
  }

  /** `2Gi`, `900Mi` or a plain number of bytes. */
  bytes(): number {
    if (typeof this.value === 'number' && Number.isSafeInteger(this.value) && this.value >= 0) return this.value;
    return parseBytes(this.quantityText('a size like 2Gi, 140Mi, 10G or a plain number of bytes'), this.path);
  }

  /** `37Mbit/s`, `2.5MB/s`. */
  rate(): number {
    return parseBandwidth(this.quantityText('a rate like 37Mbit/s or 2.5MB/s'), this.path);
  }

  /** `30s`, `1m30s`, `300ms`. */
  durationMs(): number {
    return parseDuration(this.quantityText('a duration like 300ms, 1.5s or 2m'), this.path);
  }
}
