package dev.lodestar.agent.haproxy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate made in the test with the JDK's {@code keytool}, written as the PEM
 * (certificate + PKCS#8 key) HAProxy's {@code crt} takes, and an {@link SSLContext} that trusts
 * only it.
 */
record SelfSignedCert(Path pem, SSLContext trusting) {
  private static final char[] PASS = "changeit".toCharArray();

  static SelfSignedCert create(Path dir, String host) throws Exception {
    Path ks = dir.resolve("cert.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "lodestar", "-keyalg", "RSA",
        "-keysize", "2048", "-dname", "CN=" + host, "-ext", "SAN=dns:" + host, "-validity", "2",
        "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", new String(PASS))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool failed: " + out);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, PASS);
    }
    Certificate cert = store.getCertificate("lodestar");
    PrivateKey key = (PrivateKey) store.getKey("lodestar", PASS);
    Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    String pem = "-----BEGIN CERTIFICATE-----\n" + b64.encodeToString(cert.getEncoded())
        + "\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n"
        + b64.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    Path pemFile = dir.resolve(host + ".pem");
    Files.writeString(pemFile, pem);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("lodestar", cert);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    return new SelfSignedCert(pemFile, tls);
  }
}
