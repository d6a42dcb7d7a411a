/** Built-in scenario `mixed-day`: a whole day of clients coming and going, two placements. */
import { dataCentreNodes, labRoomPlacement, labStudents, labWorkstations } from './shared.js';

export const mixedDay = `# A whole day in lab room 1-237 and the library: clients come and go.
name: mixed-day
description: >-
  A whole teaching day. The 24 workstations of lab room 1-237 (1 Gbit/s LAN) join in the morning
  in three groups: ws-237-01..08 from 08:00, leave for lunch at 12:00 and are back 13:00-17:00;
  ws-237-09..16 stay 08:15-17:30; ws-237-17..24 come at 10:00, leave at 12:15 and return
  13:30-18:30. Every departure is announced (15 to 45 minutes ahead): each student's VM must be
  back in the data centre before its workstation goes. A research team's eight larger VMs
  (4-8 GiB) may run on any of six shared library machines behind a 100 Mbit/s building link
  (8 ms), unbound, at most two moves at a time, from 09:00 to 18:00.
namespace: lab
time:
  start: 2026-11-25T07:45:00+01:00
  horizon: 11h15m
  step: 30s
nodes:
${dataCentreNodes}${labWorkstations}    online:
      - {from: "08:00", until: "12:00", notice: 20m}
      - {from: "13:00", until: "17:00", notice: 30m}
  - <<: *workstation
    first: 9
    online:
      - {from: "08:15", until: "17:30", notice: 30m}
  - <<: *workstation
    first: 17
    online:
      - {from: "10:00", until: "12:15", notice: 15m}
      - {from: "13:30", until: "18:30", notice: 45m}
  - name: library-{i}
    count: 6
    role: client
    labels: {site: library}
    cpu: {vendor: Intel, hostModel: Skylake-Client-IBRS}
    capacity: {cpu: "16", memory: 32Gi}
    link: {bandwidth: 100Mbit/s, rtt: 8ms, network: lan}
    online:
      - {from: "09:00", until: "18:00", notice: 1h}
${labStudents}  - {name: research-01, namespace: research, labels: {team: research}, memory: 4Gi, guestUsed: 1.5Gi, dirtyRate: 2MB/s, cpuLoad: 40%}
  - {name: research-02, namespace: research, labels: {team: research}, memory: 4Gi, guestUsed: 2.5Gi, dirtyRate: 1MB/s, cpuLoad: 20%}
  - {name: research-03, namespace: research, labels: {team: research}, memory: 4Gi, guestUsed: 3Gi, dirtyRate: 5.5MB/s, cpuLoad: 70%}
  - {name: research-04, namespace: research, labels: {team: research}, memory: 4Gi, guestUsed: 1Gi, dirtyRate: 0.5MB/s, cpuLoad: 10%}
  - {name: research-05, namespace: research, labels: {team: research}, memory: 8Gi, guestUsed: 5Gi, dirtyRate: 3MB/s, cpuLoad: 60%}
  - {name: research-06, namespace: research, labels: {team: research}, memory: 4Gi, guestUsed: 2Gi, dirtyRate: 20MB/s, cpuLoad: 100%}
  - {name: research-07, namespace: research, labels: {team: research}, memory: 4Gi, guestUsed: 1.2Gi, dirtyRate: 1.5MB/s, cpuLoad: 30%}
  - {name: research-08, namespace: research, labels: {team: research}, memory: 4Gi, guestUsed: 3.5Gi, dirtyRate: 0.8MB/s, cpuLoad: 20%}
placements:
${labRoomPlacement}  - name: research-library
    namespace: research
    spec:
      mode: Enforce
      vmSelector: {matchLabels: {team: research}}
      clientNodeSelector: {matchLabels: {site: library}}
      homeNodeSelector: {matchLabels: {node-role.kubernetes.io/virtualization: ""}}
      triggers: {cloudLatencyAbove: 5ms}
      thresholds: {minBandwidth: 50Mbit/s, maxPredictedMigrationTime: 15m, maxDirtyRateRatio: 0.4}
      concurrency: {maxPerPlacement: 2, maxPerClientNode: 1}
      hysteresisPercent: 30
`;
