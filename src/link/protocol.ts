/**
 * The link-probe protocol between `offline-first agent` (client) and `offline-first reflector`
 * (server), over one TCP connection per probe. Text lines for control, raw bytes for the download:
 *
 *   agent → "OFL-LINK/1 PROBE bytes=N seconds=S"   asks for a probe within its caps
 *   reflector → "READY bytes=N seconds=S"          grants it, caps lowered to the reflector's own
 *             | "BUSY retry-ms=N"                  too many probes in flight: back off
 *   agent → "PING k", reflector → "PONG k"         a few small round trips (the RTT)
 *   agent → "DOWNLOAD"                             the reflector sends N bytes, then ends the stream
 *
 * Download runs reflector → agent: the direction a VM moves when it goes to the client.
 */

export const PROTOCOL_VERSION = 'OFL-LINK/1';
/** A control line longer than this is not ours: the connection is dropped. */
export const MAX_LINE_BYTES = 256;

export interface ProbeRequest {
  readonly bytes: number;
  readonly seconds: number;
}

export type ReflectorReply =
  | { readonly kind: 'ready'; readonly bytes: number; readonly seconds: number }
  | { readonly kind: 'busy'; readonly retryAfterMs: number };

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/** `key=value` fields after a keyword, each a non-negative number. */
function numericFields(words: readonly string[], line: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const w of words) {
    const m = /^([a-z-]+)=(\d+(?:\.\d+)?)$/.exec(w);
    if (!m) throw new ProtocolError(`malformed field "${w}" in "${line}"`);
    fields.set(m[1]!, Number(m[2]));
  }
  return fields;
}

function field(fields: Map<string, number>, name: string, line: string): number {
  const v = fields.get(name);
  if (v === undefined) throw new ProtocolError(`"${line}" lacks ${name}=`);
  return v;
}

export function formatRequest(r: ProbeRequest): string {
  return `${PROTOCOL_VERSION} PROBE bytes=${Math.floor(r.bytes)} seconds=${r.seconds}\n`;
}

export function parseRequest(line: string): ProbeRequest {
  const [version, verb, ...rest] = line.trim().split(/\s+/);
  if (version !== PROTOCOL_VERSION || verb !== 'PROBE') throw new ProtocolError(`not a ${PROTOCOL_VERSION} probe request: "${line.slice(0, 80)}"`);
  const fields = numericFields(rest, line);
  return { bytes: field(fields, 'bytes', line), seconds: field(fields, 'seconds', line) };
}

export function formatReply(r: ReflectorReply): string {
  return r.kind === 'ready' ? `READY bytes=${r.bytes} seconds=${r.seconds}\n` : `BUSY retry-ms=${Math.round(r.retryAfterMs)}\n`;
}

export function parseReply(line: string): ReflectorReply {
  const [verb, ...rest] = line.trim().split(/\s+/);
  if (verb !== 'READY' && verb !== 'BUSY') throw new ProtocolError(`unexpected reply from the reflector: "${line.slice(0, 80)}"`);
  const fields = numericFields(rest, line);
  if (verb === 'READY') return { kind: 'ready', bytes: field(fields, 'bytes', line), seconds: field(fields, 'seconds', line) };
  return { kind: 'busy', retryAfterMs: field(fields, 'retry-ms', line) };
}

/** What the reflector grants: the agent's request, lowered to the reflector's caps. */
export function grant(request: ProbeRequest, caps: ProbeRequest): ProbeRequest {
  return { bytes: Math.min(request.bytes, caps.bytes), seconds: Math.min(request.seconds, caps.seconds) };
}
