/**
 * A real RFC 3161 time-stamp authority on loopback, for the signing tests: it answers each
 * TimeStampReq (application/timestamp-query) with a signed TimeStampResp made by `openssl ts
 * -reply`, under its own CA and TSA certificate (made with openssl when it starts). c2pa-rs,
 * through c2pa-python, talks to it as it would to a public one. `failNext(n)` answers the next n
 * requests with 503, as an authority in an outage does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeTsa {
  url: string;
  /** The TSA's CA certificate (PEM). */
  caPem: string;
  /** Time-stamp requests answered (with a token or with an error). */
  requests: number;
  failNext(count: number): void;
  close(): Promise<void>;
}

const CONFIG = (dir: string) => `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = Reelcast test TSA
[ tsa_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ${dir}/serial
signer_cert = ${dir}/tsa.crt
certs = ${dir}/ca.crt
signer_key = ${dir}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ess_cert_id_alg = sha256
`;

export async function startFakeTsa(): Promise<FakeTsa> {
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-fake-tsa-'));
  const config = join(dir, 'tsa.cnf');
  writeFileSync(config, CONFIG(dir));
  writeFileSync(join(dir, 'serial'), '01\n');
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '30',
    '-subj',
    '/CN=Reelcast test TSA CA',
    '-addext',
    'basicConstraints=critical,CA:true',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl('req', '-new', ...ec, '-keyout', 'tsa.key', '-out', 'tsa.csr', '-config', config);
  openssl(
    'x509',
    '-req',
    '-in',
    'tsa.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'tsa.crt',
    '-days',
    '30',
    '-extfile',
    config,
    '-extensions',
    'tsa_ext',
  );

  let failing = 0;
  let requests = 0;
  let seq = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests += 1;
      if (failing > 0) {
        failing -= 1;
        res.writeHead(503).end();
        return;
      }
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(400).end('expected a POST of application/timestamp-query');
        return;
      }
      const n = ++seq;
      const query = join(dir, `q${n}.tsq`);
      const reply = join(dir, `r${n}.tsr`);
      writeFileSync(query, Buffer.concat(chunks));
      try {
        openssl('ts', '-reply', '-config', config, '-queryfile', query, '-out', reply);
        const body = readFileSync(reply);
        res.writeHead(200, { 'content-type': 'application/timestamp-reply', 'content-length': body.length });
        res.end(body);
      } catch (err) {
        res.writeHead(500).end(String((err as { stderr?: Buffer }).stderr ?? err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    get requests() {
      return requests;
    },
    failNext(count) {
      failing = count;
    },
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        }),
      ),
  };
}
