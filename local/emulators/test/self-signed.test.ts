import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
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

  // A random serial began 0x00 0x0N once in 256 runs and the certificate carried a non-minimal
  // INTEGER: OpenSSL then refused it ("illegal padding") and the Event Hubs emulator could not listen.
  it.each([
    ['a leading zero byte', '0001020304050607', '01020304050607'],
    ['leading zeros before a high bit', '0000800102', '800102'],
    ['a high first bit', 'ff0102', 'FF0102'],
    ['a plain positive number', '7f0102', '7F0102'],
  ])('encodes a serial with %s as a minimal positive INTEGER that TLS accepts', (_, given, expected) => {
    const pinned = createSelfSignedCertificate({
      commonName: 'x',
      altNames: ['localhost'],
      serial: Buffer.from(given, 'hex'),
    });
    expect(() => createSecureContext({ key: pinned.keyPem, cert: pinned.certPem })).not.toThrow();
    expect(new X509Certificate(pinned.certPem).serialNumber.toUpperCase()).toBe(expected.toUpperCase());
  });
});
