/**
 * A node's link measurement from its NodeLink, the record the link agent on that node writes (the
 * annotations in annotations.ts are the other source). Parsed here, once, with errors that name the
 * record and the field. The CRD already refuses most bad values; this holds for records written
 * under an older schema, or with none.
 */
import type { NodeLink } from '../kube/node-link.js';
import { timestamp, wrap, type LinkMeasurement, type Parsed } from './annotations.js';

const show = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : String(v));

/** The record's smoothed estimate; a record with no estimate yet is missing data, not an error. */
export function linkFromNodeLink(record: NodeLink): Parsed<LinkMeasurement> {
  const status: Record<string, unknown> = { ...record.status };
  const field = (name: string) => `NodeLink ${record.metadata.name ?? '(unnamed)'} status.${name}`;
  return wrap(() => {
    const bandwidth = status.bandwidthBytesPerSecond;
    if (bandwidth === undefined) return undefined;
    if (typeof bandwidth !== 'number' || !Number.isFinite(bandwidth) || !(bandwidth > 0)) {
      throw new Error(`${field('bandwidthBytesPerSecond')}: expected a number above 0, got ${show(bandwidth)}`);
    }
    const rtt = status.rttMs;
    if (rtt !== undefined && (typeof rtt !== 'number' || !Number.isFinite(rtt) || rtt < 0)) {
      throw new Error(`${field('rttMs')}: expected a number of milliseconds, 0 or more, got ${show(rtt)}`);
    }
    const at = status.measuredAt;
    if (at === undefined) throw new Error(`${field('measuredAt')}: missing; a link measurement needs the time it was taken`);
    if (typeof at !== 'string') throw new Error(`${field('measuredAt')}: expected an RFC 3339 time such as 2026-11-25T10:00:00Z, got ${show(at)}`);
    return {
      bandwidthBytesPerSecond: bandwidth,
      ...(rtt !== undefined ? { rttMs: rtt } : {}),
      measuredAtMs: timestamp(at, field('measuredAt')),
    };
  });
}
