/**
 * Throwaway certificates for a local control plane, made with the openssl command line
 * (Node can make keys but not X.509 certificates). One CA signs the API server's serving
 * certificate and any webhook serving certificate the simulated KubeVirt needs.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertificateAuthority {
  readonly certPath: string;
  readonly keyPath: string;
  readonly certPem: string;
}

export interface ServingCert {
  readonly certPath: string;
  readonly keyPath: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'the openssl command is needed to make test certificates (Debian package: openssl)'
        : `openssl ${args[0]} failed: ${stderr ?? String(err)}`,
    );
  }
}

export function createCA(dir: string, name = 'offline-first-local-ca'): CertificateAuthority {
  const keyPath = join(dir, 'ca.key');
  const certPath = join(dir, 'ca.crt');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath,
    '-out', certPath, '-days', '30', '-subj', `/CN=${name}`], dir);
  return { certPath, keyPath, certPem: readFileSync(certPath, 'utf8') };
}

/** A serving certificate for `hosts` (DNS names or IP addresses), signed by the CA. */
export function issueServingCert(ca: CertificateAuthority, dir: string, name: string, hosts: readonly string[]): ServingCert {
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(dir, `${name}.csr`);
  const certPath = join(dir, `${name}.crt`);
  const extPath = join(dir, `${name}.ext`);
  const san = hosts.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  writeFileSync(extPath, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', csrPath,
    '-subj', `/CN=${hosts[0] ?? name}`], dir);
  openssl(['x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-CAcreateserial', '-out', certPath,
    '-days', '30', '-extfile', extPath], dir);
  return { certPath, keyPath };
}

/** The key pair the API server signs and checks service-account tokens with. */
export function createServiceAccountKeys(dir: string): { publicKeyPath: string; privateKeyPath: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const publicKeyPath = join(dir, 'sa.pub');
  const privateKeyPath = join(dir, 'sa.key');
  writeFileSync(publicKeyPath, publicKey);
  writeFileSync(privateKeyPath, privateKey, { mode: 0o600 });
  return { publicKeyPath, privateKeyPath };
}
