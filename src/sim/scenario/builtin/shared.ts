/**
 * Parts the built-in scenarios share, as YAML text at the indentation they are used at: every
 * built-in prints as one self-contained file, and the same data centre and lab stay the same.
 */

/** Four virtualization servers in the data centre (list entries under `nodes:`). */
export const dataCentreNodes = `  - name: dc-{i}
    count: 4
    role: cloud
    labels: {node-role.kubernetes.io/virtualization: ""}
    cpu: {vendor: Intel, hostModel: Cascadelake-Server}
    capacity: {cpu: "32", memory: 256Gi}
`;

/** The 24 students of lab room 1-237 and their VMs (`defaults:` and `vms:`, top level). */
export const labStudents = `defaults:
  vm:
    labels: {course: networks-101}
    memory: 2Gi
vms:
  - {name: student-01, client: ws-237-01, guestUsed: 420Mi, dirtyRate: 0.6MB/s, cpuLoad: 10%}
  - {name: student-02, client: ws-237-02, guestUsed: 310Mi, dirtyRate: 0.3MB/s, cpuLoad: 5%}
  - {name: student-03, client: ws-237-03, guestUsed: 780Mi, dirtyRate: 1.8MB/s, cpuLoad: 40%}
  - {name: student-04, client: ws-237-04, guestUsed: 260Mi, dirtyRate: 0.2MB/s, cpuLoad: 5%}
  - {name: student-05, client: ws-237-05, guestUsed: 540Mi, dirtyRate: 1.1MB/s, cpuLoad: 25%}
  - {name: student-06, client: ws-237-06, guestUsed: 880Mi, dirtyRate: 2.6MB/s, cpuLoad: 80%}
  - {name: student-07, client: ws-237-07, guestUsed: 1700Mi, dirtyRate: 150MB/s, cpuLoad: 100%}
  - {name: student-08, client: ws-237-08, guestUsed: 350Mi, dirtyRate: 0.4MB/s, cpuLoad: 10%}
  - {name: student-09, client: ws-237-09, guestUsed: 610Mi, dirtyRate: 0.9MB/s, cpuLoad: 25%}
  - {name: student-10, client: ws-237-10, guestUsed: 230Mi, dirtyRate: 0.1MB/s, cpuLoad: 0%}
  - {name: student-11, client: ws-237-11, guestUsed: 470Mi, dirtyRate: 0.7MB/s, cpuLoad: 10%}
  - {name: student-12, client: ws-237-12, guestUsed: 820Mi, dirtyRateWindows: {1s: 3MB/s, 10s: 1.4MB/s, 60s: 0.5MB/s}, cpuLoad: 50%}
  - {name: student-13, client: ws-237-13, guestUsed: 390Mi, dirtyRate: 0.5MB/s, cpuLoad: 10%}
  - {name: student-14, client: ws-237-14, guestUsed: 700Mi, dirtyRate: 1.5MB/s, cpuLoad: 25%}
  - {name: student-15, client: ws-237-15, guestUsed: 290Mi, dirtyRate: 0.3MB/s, cpuLoad: 5%}
  - {name: student-16, client: ws-237-16, guestUsed: 560Mi, dirtyRateWindows: {1s: 2.4MB/s, 10s: 1.1MB/s}, cpuLoad: 25%}
  - {name: student-17, client: ws-237-17, guestUsed: 450Mi, dirtyRate: 0.8MB/s, cpuLoad: 10%}
  - {name: student-18, client: ws-237-18, guestUsed: 900Mi, dirtyRate: 3MB/s, cpuLoad: 80%}
  - {name: student-19, client: ws-237-19, guestUsed: 640Mi, dirtyRate: 1MB/s, cpuLoad: 25%, volumes: [persistentVolumeClaim, containerDisk, cloudInitNoCloud]}
  - {name: student-20, client: ws-237-20, guestUsed: 330Mi, dirtyRate: 0.4MB/s, cpuLoad: 5%}
  - {name: student-21, client: ws-237-21, guestUsed: 750Mi, dirtyRate: 1.7MB/s, cpuLoad: 50%}
  - {name: student-22, client: ws-237-22, guestUsed: 210Mi, dirtyRate: 0.2MB/s, cpuLoad: 0%}
  - {name: student-23, client: ws-237-23, guestUsed: 520Mi, dirtyRate: 0.9MB/s, cpuLoad: 25%}
  - {name: student-24, client: ws-237-24, guestUsed: 600Mi, dirtyRate: 1.2MB/s, cpuLoad: 25%}
`;

/** The lab room's placement (a list entry under `placements:`), as in examples/lab-room-1-237.yaml. */
export const labRoomPlacement = `  - name: lab-room-1-237
    spec:
      mode: Enforce
      vmSelector: {matchLabels: {course: networks-101}}
      clientNodeSelector: {matchLabels: {room: "1-237"}}
      homeNodeSelector: {matchLabels: {node-role.kubernetes.io/virtualization: ""}}
      clientBinding: {labelKey: lab.example.edu/workstation}
      triggers: {offlineCapabilityWanted: true}
      thresholds: {minBandwidth: 100Mbit/s, maxPredictedMigrationTime: 5m, maxDirtyRateRatio: 0.5, maxDowntime: 300ms}
      concurrency: {maxPerPlacement: 5, maxPerClientNode: 1}
      cooldown: {base: 15m, max: 4h}
`;

/** Room 1-237's first eight workstations as the YAML anchor `workstation`; each scenario adds their `online` schedule and the other groups. */
export const labWorkstations = `  - &workstation
    name: ws-237-{i:02}
    count: 8
    role: client
    labels: {room: "1-237"}
    cpu: {vendor: Intel, hostModel: Skylake-Client-IBRS}
    capacity: {cpu: "8", memory: 16Gi}
    link: {bandwidth: 1Gbit/s, rtt: 0.4ms, network: lan}
`;
