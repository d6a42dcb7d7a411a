/** Built-in scenario `lab-room`: a morning lab in room 1-237 on the campus LAN. */
import { dataCentreNodes, labRoomPlacement, labStudents, labWorkstations } from './shared.js';

export const labRoom = `# Lab room 1-237: a morning lab on the campus LAN.
name: lab-room
description: >-
  Lab room 1-237 during a morning lab. 24 student workstations on the campus LAN (1 Gbit/s,
  0.4 ms to the data centre) boot between 08:00 and 08:10; each student's 2 GiB VM is bound to
  their workstation. The lab ends at 12:00, which the timetable announces at 11:30. Most guests are
  light (200-900 MiB in use, 0.1-3 MB/s dirtied); student-07 runs a stress-ng memory test that
  dirties 150 MB/s, more than the LAN carries, and student-19 keeps its home directory on a
  network volume, so it cannot run offline.
namespace: lab
time:
  start: 2026-11-25T07:55:00+01:00
  horizon: 4h35m
  step: 30s
nodes:
${dataCentreNodes}${labWorkstations}    online: [{from: "08:00", until: "12:00", notice: 30m}]
  - {<<: *workstation, first: 9, online: [{from: "08:05", until: "12:00", notice: 30m}]}
  - {<<: *workstation, first: 17, online: [{from: "08:10", until: "12:00", notice: 30m}]}
${labStudents}placements:
${labRoomPlacement}`;
