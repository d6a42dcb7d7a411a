/**
 * Simulated wall-clock times: the scenario starts at an RFC 3339 time, and its events are written
 * as times of day on that date in the same zone (`08:05`, `17:30`), as people plan a lab day.
 * Printing uses the same zone, so a timeline reads like the scenario.
 */

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?(Z|([+-])(\d\d):(\d\d))$/i;
const TIME_OF_DAY = /^(\d{1,2}):(\d\d)(?::(\d\d))?$/;
const DAY_MS = 86_400_000;

export interface ClockStart {
  readonly startMs: number;
  readonly utcOffsetMinutes: number;
}

/** The start of a scenario; undefined when `text` is not RFC 3339 with a zone. */
export function parseStart(text: string): ClockStart | undefined {
  const m = RFC3339.exec(text);
  const ms = Date.parse(text);
  if (!m || Number.isNaN(ms)) return undefined;
  const offset = m[7]!.toUpperCase() === 'Z' ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  return { startMs: ms, utcOffsetMinutes: offset };
}

/** `HH:MM[:SS]` on the start's date (in its zone), or an RFC 3339 time; undefined when neither. */
export function parseTimeOfDay(text: string, start: ClockStart): number | undefined {
  const m = TIME_OF_DAY.exec(text);
  if (!m) return RFC3339.test(text) ? parseStart(text)?.startMs : undefined;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || min > 59 || s > 59) return undefined;
  const offsetMs = start.utcOffsetMinutes * 60_000;
  const localMidnight = Math.floor((start.startMs + offsetMs) / DAY_MS) * DAY_MS - offsetMs;
  return localMidnight + ((h * 60 + min) * 60 + s) * 1000;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `08:05:30` in the scenario's zone; `+1d 08:05:30` past the first day. */
export function formatClock(ms: number, start: ClockStart, withSeconds = true): string {
  const offsetMs = start.utcOffsetMinutes * 60_000;
  const local = ms + offsetMs;
  const day = Math.floor(local / DAY_MS) - Math.floor((start.startMs + offsetMs) / DAY_MS);
  const inDay = ((local % DAY_MS) + DAY_MS) % DAY_MS;
  const totalSeconds = Math.floor(inDay / 1000);
  const hm = `${pad(Math.floor(totalSeconds / 3600))}:${pad(Math.floor(totalSeconds / 60) % 60)}`;
  const text = withSeconds ? `${hm}:${pad(totalSeconds % 60)}` : hm;
  return day > 0 ? `+${day}d ${text}` : text;
}

/** RFC 3339 in UTC, as annotations carry times. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
