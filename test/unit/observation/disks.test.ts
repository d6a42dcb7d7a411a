/**
 * A VMI's disks as KubeVirt treats them: which volumes are network-backed, what block migration
 * copies (the data, not the capacity) and what KubeVirt's completion budget counts.
 */
import { expect } from 'chai';
import { diskFacts, type DiskFacts } from '../../../src/observation/disks.js';
import { predictMigration } from '../../../src/domain/migration/predict.js';
import { isOfflineCapable } from '../../../src/domain/placement/index.js';
import { Annotations } from '../../../src/observation/annotations.js';
import type { Volume } from '../../../src/kube/kubevirt.js';
import { vmiFromFixture } from '../../../src/sim/fixtures/vmis.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

const root: Volume = { name: 'rootdisk', containerDisk: { image: 'quay.io/containerdisks/debian:12' } } as Volume;
const cloudInit: Volume = { name: 'cloudinit', cloudInitNoCloud: {} };
const scratch: Volume = { name: 'scratch', emptyDisk: { capacity: '20Gi' } };
const localHost: Volume = { name: 'local', hostDisk: { path: '/var/lib/vms/a.img', capacity: '10Gi', type: 'DiskOrCreate' } };
const nfsHost: Volume = { name: 'nfs', hostDisk: { path: '/mnt/nfs/a.img', capacity: '10Gi', type: 'Disk', shared: true } };
const pvc: Volume = { name: 'home', persistentVolumeClaim: { claimName: 'home' } };

function facts(volumes: Volume[], used?: string, blockMigration = true): DiskFacts {
  const annotations = used === undefined ? undefined : { [Annotations.localDiskUsed]: used };
  return diskFacts(vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'dc-1', volumes, blockMigration, ...(annotations ? { annotations } : {}) }));
}

describe('disks as KubeVirt treats them', () => {
  // [what, volumes, annotation, block migration, expected facts]
  const rows: [string, Volume[], string | undefined, boolean, Omit<DiskFacts, 'errors'>][] = [
    ['a shared hostDisk is network storage, and not copied', [root, nfsHost], undefined, true,
      { volumeKinds: ['containerDisk', 'sharedHostDisk'], copiedDiskBytes: 0, budgetDiskBytes: 0, assumed: false }],
    ['a non-shared hostDisk is local: its capacity bounds what is copied, assumed', [root, localHost], undefined, true,
      { volumeKinds: ['containerDisk', 'hostDisk'], copiedDiskBytes: 10 * GiB, budgetDiskBytes: 0, assumed: true }],
    ['an emptyDisk without an annotation: its capacity, assumed, not in the budget', [root, scratch], undefined, true,
      { volumeKinds: ['containerDisk', 'emptyDisk'], copiedDiskBytes: 20 * GiB, budgetDiskBytes: 0, assumed: true }],
    ['an emptyDisk with its used bytes: those, not in the budget', [root, scratch], 'scratch=200Mi', true,
      { volumeKinds: ['containerDisk', 'emptyDisk'], copiedDiskBytes: 200 * MiB, budgetDiskBytes: 0, assumed: false }],
    ['per volume: the overlay and cloud-init are in the budget, the emptyDisk is not', [root, cloudInit, scratch], 'rootdisk=1Gi, cloudinit=1Mi, scratch=3Gi', true,
      { volumeKinds: ['containerDisk', 'cloudInitNoCloud', 'emptyDisk'], copiedDiskBytes: 4 * GiB, budgetDiskBytes: GiB + MiB, assumed: false }],
    ['per volume, some named: the rest by their bound', [root, scratch, localHost], 'rootdisk=500Mi,scratch=1Gi', true,
      { volumeKinds: ['containerDisk', 'emptyDisk', 'hostDisk'], copiedDiskBytes: 500 * MiB + GiB + 10 * GiB, budgetDiskBytes: 500 * MiB, assumed: true }],
    ['a total: all copied, none in the budget (it cannot be split)', [root, cloudInit, scratch], '3Gi', true,
      { volumeKinds: ['containerDisk', 'cloudInitNoCloud', 'emptyDisk'], copiedDiskBytes: 3 * GiB, budgetDiskBytes: 0, assumed: false }],
    ['a container disk without an annotation: its overlay counts 0', [root, cloudInit], undefined, true,
      { volumeKinds: ['containerDisk', 'cloudInitNoCloud'], copiedDiskBytes: 0, budgetDiskBytes: 0, assumed: false }],
    ['no block migration: nothing copied, whatever the annotation says', [root, scratch], 'scratch=1Gi', false,
      { volumeKinds: ['containerDisk', 'emptyDisk'], copiedDiskBytes: 0, budgetDiskBytes: 0, assumed: false }],
    ['a PVC: network storage, not copied', [root, pvc], undefined, true,
      { volumeKinds: ['containerDisk', 'persistentVolumeClaim'], copiedDiskBytes: 0, budgetDiskBytes: 0, assumed: false }],
  ];
  for (const [what, volumes, used, block, expected] of rows) {
    it(what, () => {
      expect(facts(volumes, used, block)).to.deep.equal({ ...expected, errors: [] });
    });
  }

  it('a VM with a shared hostDisk is not offline-capable; one with a local hostDisk is', () => {
    expect(isOfflineCapable(facts([root, nfsHost]).volumeKinds)).to.equal(false);
    expect(isOfflineCapable(facts([root, localHost]).volumeKinds)).to.equal(true);
  });

  // [annotation, the error says]
  const bad: [string, RegExp][] = [
    ['lots', /local-disk-used: expected a size like 2Gi.*got "lots"/],
    ['', /local-disk-used: expected a total such as 3Gi or VOLUME=BYTES pairs/],
    ['scratch=', /local-disk-used: expected a total such as 3Gi or VOLUME=BYTES pairs .* got "scratch="/],
    ['scratch=1Gi=2', /got "scratch=1Gi=2"/],
    ['scratch=-1Gi', /local-disk-used \(volume scratch\): expected a size/],
    ['scratch=1Gi,scratch=2Gi', /volume "scratch" given twice/],
    ['data=1Gi', /no volume "data" in the VMI \(volumes: rootdisk, scratch, home\)/],
    ['home=1Gi', /volume "home" is a persistentVolumeClaim, which block migration does not copy/],
  ];
  for (const [text, message] of bad) {
    it(`refuses "${text}" with an error naming the key, and falls back to the capacity bound`, () => {
      const f = facts([root, scratch, pvc], text);
      expect(f.errors).to.have.length(1);
      expect(f.errors[0]).to.match(message).and.include(Annotations.localDiskUsed);
      expect(f).to.include({ copiedDiskBytes: 20 * GiB, budgetDiskBytes: 0, assumed: true });
    });
  }

  it('says so when a hostDisk has no capacity to bound it', () => {
    const f = facts([{ name: 'img', hostDisk: { path: '/var/lib/vms/img', type: 'Disk' } }]);
    expect(f).to.include({ copiedDiskBytes: 0, assumed: false });
    expect(f.errors[0]).to.match(/volume img hostDisk\.capacity: missing.*local-disk-used/);
  });

  it("keeps KubeVirt's 450 s budget for a 2 GiB VM with a 20Gi emptyDisk, and predicts the copy of what it holds", () => {
    const f = facts([root, cloudInit, scratch], 'scratch=200Mi');
    const base = { memoryBytes: 2 * GiB, guestUsedBytes: 600 * MiB, dirtyRate: { kind: 'constant', bytesPerSecond: 1e6 } as const, bandwidthBytesPerSecond: 117.5e6 };
    const p = predictMigration({ ...base, blockMigrationDiskBytes: f.copiedDiskBytes, budgetDiskBytes: f.budgetDiskBytes });
    const withoutDisk = predictMigration(base);
    expect(p.completionBudgetSeconds).to.equal(450);
    expect(p.totalSeconds).to.be.closeTo(withoutDisk.totalSeconds + (200 * MiB) / 117.5e6, 0.5);
    expect(p.totalSeconds).to.be.below(15);
  });
});
