/** Built-in scenario `home-wan`: the lab-room students working from home over a 37 Mbit/s WAN. */
import { dataCentreNodes } from './shared.js';

export const homeWan = `# The students of lab room 1-237 at home, behind a 37 Mbit/s WAN.
name: home-wan
description: >-
  The same 24 students working from home in the afternoon, each behind a 37 Mbit/s WAN link
  (18-45 ms to the data centre), connecting between 14:00 and 15:00 and leaving between 17:30 and
  18:30 (their machines announce it 30 minutes ahead; student-17 closes the laptop at 17:10
  without notice). At 37 Mbit/s KubeVirt gives a 2 GiB VM 450 s before it aborts the migration,
  and sending 2 GiB of non-zero pages alone takes 464 s: only guests with modest used memory and a
  low dirty rate can move. Four students have AMD laptops, which cannot take a VM from the Intel
  servers. The home-office guests differ from the lab: student-06 and student-18 compile all
  afternoon, student-07 still runs its memory test, student-21 and student-22 run a database that
  fills their memory.
namespace: lab
time:
  start: 2026-11-25T13:55:00+01:00
  horizon: 4h50m
  step: 30s
nodes:
${dataCentreNodes}  - &home
    name: home-01
    role: client
    labels: {offline-first.io/pool: home}
    cpu: {vendor: Intel, hostModel: Skylake-Client-IBRS}
    capacity: {cpu: "4", memory: 16Gi}
    link: {bandwidth: 37Mbit/s, rtt: 24ms, network: wan}
    online: [{from: "14:00", until: "17:30"}]
  - {<<: *home, name: home-02, link: {bandwidth: 37Mbit/s, rtt: 31ms, network: wan}, online: [{from: "14:05", until: "18:00"}]}
  - {<<: *home, name: home-03, link: {bandwidth: 37Mbit/s, rtt: 18ms, network: wan}, online: [{from: "14:10", until: "18:30"}]}
  - {<<: *home, name: home-04, link: {bandwidth: 37Mbit/s, rtt: 42ms, network: wan}, online: [{from: "14:00", until: "17:45"}], cpu: {vendor: AMD}}
  - {<<: *home, name: home-05, link: {bandwidth: 37Mbit/s, rtt: 27ms, network: wan}, online: [{from: "14:20", until: "18:15"}]}
  - {<<: *home, name: home-06, link: {bandwidth: 37Mbit/s, rtt: 35ms, network: wan}, online: [{from: "14:15", until: "18:00"}]}
  - {<<: *home, name: home-07, link: {bandwidth: 37Mbit/s, rtt: 22ms, network: wan}, online: [{from: "14:00", until: "18:30"}]}
  - {<<: *home, name: home-08, link: {bandwidth: 37Mbit/s, rtt: 29ms, network: wan}, online: [{from: "14:30", until: "18:00"}]}
  - {<<: *home, name: home-09, link: {bandwidth: 37Mbit/s, rtt: 45ms, network: wan}, online: [{from: "14:05", until: "17:30"}], cpu: {vendor: AMD}}
  - {<<: *home, name: home-10, link: {bandwidth: 37Mbit/s, rtt: 20ms, network: wan}, online: [{from: "14:40", until: "18:30"}]}
  - {<<: *home, name: home-11, link: {bandwidth: 37Mbit/s, rtt: 33ms, network: wan}, online: [{from: "14:10", until: "17:45"}]}
  - {<<: *home, name: home-12, link: {bandwidth: 37Mbit/s, rtt: 26ms, network: wan}, online: [{from: "14:25", until: "18:15"}]}
  - {<<: *home, name: home-13, link: {bandwidth: 37Mbit/s, rtt: 38ms, network: wan}, online: [{from: "14:00", until: "18:00"}]}
  - {<<: *home, name: home-14, link: {bandwidth: 37Mbit/s, rtt: 21ms, network: wan}, online: [{from: "14:50", until: "18:30"}]}
  - {<<: *home, name: home-15, link: {bandwidth: 37Mbit/s, rtt: 30ms, network: wan}, online: [{from: "14:15", until: "17:30"}], cpu: {vendor: AMD}}
  - {<<: *home, name: home-16, link: {bandwidth: 37Mbit/s, rtt: 25ms, network: wan}, online: [{from: "14:35", until: "18:00"}]}
  - {<<: *home, name: home-17, link: {bandwidth: 37Mbit/s, rtt: 28ms, network: wan}, online: [{from: "14:00", until: "17:10", notice: none}]}
  - {<<: *home, name: home-18, link: {bandwidth: 37Mbit/s, rtt: 19ms, network: wan}, online: [{from: "14:20", until: "18:15"}]}
  - {<<: *home, name: home-19, link: {bandwidth: 37Mbit/s, rtt: 40ms, network: wan}, online: [{from: "14:05", until: "17:45"}]}
  - {<<: *home, name: home-20, link: {bandwidth: 37Mbit/s, rtt: 23ms, network: wan}, online: [{from: "14:45", until: "18:30"}]}
  - {<<: *home, name: home-21, link: {bandwidth: 37Mbit/s, rtt: 34ms, network: wan}, online: [{from: "14:10", until: "18:00"}]}
  - {<<: *home, name: home-22, link: {bandwidth: 37Mbit/s, rtt: 27ms, network: wan}, online: [{from: "14:30", until: "18:15"}]}
  - {<<: *home, name: home-23, link: {bandwidth: 37Mbit/s, rtt: 32ms, network: wan}, online: [{from: "14:00", until: "17:30"}], cpu: {vendor: AMD}}
  - {<<: *home, name: home-24, link: {bandwidth: 37Mbit/s, rtt: 36ms, network: wan}, online: [{from: "14:55", until: "18:30"}]}
defaults:
  vm:
    labels: {course: networks-101}
    memory: 2Gi
vms:
  - {name: student-01, client: home-01, guestUsed: 420Mi, dirtyRate: 0.6MB/s, cpuLoad: 10%}
  - {name: student-02, client: home-02, guestUsed: 310Mi, dirtyRate: 0.3MB/s, cpuLoad: 5%}
  - {name: student-03, client: home-03, guestUsed: 780Mi, dirtyRate: 1.8MB/s, cpuLoad: 40%}
  - {name: student-04, client: home-04, guestUsed: 260Mi, dirtyRate: 0.2MB/s, cpuLoad: 5%}
  - {name: student-05, client: home-05, guestUsed: 540Mi, dirtyRate: 1.1MB/s, cpuLoad: 25%}
  - {name: student-06, client: home-06, guestUsed: 1100Mi, dirtyRate: 3.5MB/s, cpuLoad: 90%}
  - {name: student-07, client: home-07, guestUsed: 1700Mi, dirtyRate: 150MB/s, cpuLoad: 100%}
  - {name: student-08, client: home-08, guestUsed: 350Mi, dirtyRate: 0.4MB/s, cpuLoad: 10%}
  - {name: student-09, client: home-09, guestUsed: 610Mi, dirtyRate: 0.9MB/s, cpuLoad: 25%}
  - {name: student-10, client: home-10, guestUsed: 230Mi, dirtyRate: 0.1MB/s, cpuLoad: 0%}
  - {name: student-11, client: home-11, guestUsed: 470Mi, dirtyRate: 0.7MB/s, cpuLoad: 10%}
  - {name: student-12, client: home-12, guestUsed: 820Mi, dirtyRateWindows: {1s: 3MB/s, 10s: 1.4MB/s, 60s: 0.5MB/s}, cpuLoad: 50%}
  - {name: student-13, client: home-13, guestUsed: 390Mi, dirtyRate: 0.5MB/s, cpuLoad: 10%}
  - {name: student-14, client: home-14, guestUsed: 700Mi, dirtyRate: 1.5MB/s, cpuLoad: 25%}
  - {name: student-15, client: home-15, guestUsed: 290Mi, dirtyRate: 0.3MB/s, cpuLoad: 5%}
  - {name: student-16, client: home-16, guestUsed: 560Mi, dirtyRateWindows: {1s: 2.4MB/s, 10s: 1.1MB/s}, cpuLoad: 25%}
  - {name: student-17, client: home-17, guestUsed: 450Mi, dirtyRate: 0.8MB/s, cpuLoad: 10%}
  - {name: student-18, client: home-18, guestUsed: 1300Mi, dirtyRate: 4MB/s, cpuLoad: 90%}
  - {name: student-19, client: home-19, guestUsed: 640Mi, dirtyRate: 1MB/s, cpuLoad: 25%, volumes: [persistentVolumeClaim, containerDisk, cloudInitNoCloud]}
  - {name: student-20, client: home-20, guestUsed: 330Mi, dirtyRate: 0.4MB/s, cpuLoad: 5%}
  - {name: student-21, client: home-21, guestUsed: 2Gi, dirtyRate: 0.8MB/s, cpuLoad: 30%}
  - {name: student-22, client: home-22, guestUsed: 1900Mi, dirtyRate: 1.2MB/s, cpuLoad: 30%}
  - {name: student-23, client: home-23, guestUsed: 520Mi, dirtyRate: 0.9MB/s, cpuLoad: 25%}
  - {name: student-24, client: home-24, guestUsed: 600Mi, dirtyRate: 1.2MB/s, cpuLoad: 25%}
placements:
  - name: students-at-home
    spec:
      mode: Enforce
      vmSelector: {matchLabels: {course: networks-101}}
      clientNodeSelector: {matchLabels: {offline-first.io/pool: home}}
      homeNodeSelector: {matchLabels: {node-role.kubernetes.io/virtualization: ""}}
      clientBinding: {labelKey: lab.example.edu/workstation}
      triggers: {offlineCapabilityWanted: true, cloudLatencyAbove: 15ms}
      thresholds: {minBandwidth: 20Mbit/s, maxPredictedMigrationTime: 10m, maxDirtyRateRatio: 0.5, maxDowntime: 300ms}
      concurrency: {maxPerPlacement: 5, maxPerClientNode: 1}
      cooldown: {base: 15m, max: 4h}
`;
