import { X509Certificate } from 'node:crypto';
import { createSelfSignedCertificate } from '../src/self-signed';

describe('a self-signed loopback certificate', () => {
  const cert = createSelfSignedCertificate({
    commonName: 'Local test',
    altNames: ['127.0.0.1', '::1', 'localhost'],
  });

  it('is a valid X.509 certificate: self-signed CA, names as given', () => {
    const x509 = new X509Certificate(cert.certPem);
    expect(x509.subject).toBe('CN=Local test');
    expect(x509.ca).toBe(true);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkIP('::1')).toBeDefined();
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('10.0.0.1')).toBeUndefined();
  });

  it('encodes dates from 2050 on as GeneralizedTime', () => {
    const late = createSelfSignedCertificate({
      commonName: 'x',
      altNames: ['localhost'],
      now: new Date('2049-12-01'),
      days: 60,
    });
    expect(new Date(new X509Certificate(late.certPem).validTo).getUTCFullYear()).toBe(2050);
  });
});
