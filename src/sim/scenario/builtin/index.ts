/**
 * The scenarios shipped with the command, as YAML text: `simulate --scenario NAME` runs one,
 * `--print-scenario` prints it as a starting point for a what-if of your own.
 */
import { homeWan } from './home-wan.js';
import { labRoom } from './lab-room.js';
import { mixedDay } from './mixed-day.js';

export const BUILTIN_SCENARIOS: Readonly<Record<string, { readonly summary: string; readonly yaml: string }>> = {
  'lab-room': { summary: 'lab room 1-237: 24 workstations on a 1 Gbit/s LAN, one bound VM each, a morning lab', yaml: labRoom },
  'home-wan': { summary: 'the same students at home behind 37 Mbit/s WAN links, an afternoon', yaml: homeWan },
  'mixed-day': { summary: 'a whole day: clients join, leave for lunch, come back and leave in the evening; two placements', yaml: mixedDay },
};
