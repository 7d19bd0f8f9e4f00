package dev.lodestar.discovery.marathon;

import static dev.lodestar.discovery.marathon.MarathonSourceContractTest.await;
import static dev.lodestar.discovery.marathon.MarathonSourceContractTest.endpoints;
import static dev.lodestar.discovery.marathon.MarathonSourceContractTest.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.lodestar.discovery.DiscoveryUnavailableException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An https Marathon on loopback with a certificate only the configured SSLContext trusts. */
class TlsTest {
  private static final char[] PASS = "changeit".toCharArray();

  private static KeyStore selfSigned(Path dir) throws Exception {
    Path file = dir.resolve("marathon.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin",
        "keytool").toString(), "-genkeypair", "-alias", "marathon", "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1",
        "-validity", "2", "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass",
        new String(PASS), "-keypass", new String(PASS)).redirectErrorStream(true).start();
    if (!keytool.waitFor(30, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: "
          + new String(keytool.getInputStream().readAllBytes()));
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, PASS);
    }
    return ks;
  }

  /** A server context with the self-signed key and a client context that trusts only it. */
  private record Contexts(SSLContext server, SSLContext client) {
    static Contexts of(Path dir) throws Exception {
      KeyStore ks = selfSigned(dir);
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, PASS);
      SSLContext serverCtx = SSLContext.getInstance("TLS");
      serverCtx.init(kmf.getKeyManagers(), null, null);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(
          TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext clientCtx = SSLContext.getInstance("TLS");
      clientCtx.init(null, tmf.getTrustManagers(), null);
      return new Contexts(serverCtx, clientCtx);
    }
  }

  private static HttpsServer httpsServer(SSLContext context) throws Exception {
    HttpsServer server = HttpsServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(context));
    return server;
  }

  @Test
  void customSslContextIsUsed(@TempDir Path dir) throws Exception {
    Contexts tls = Contexts.of(dir);
    HttpsServer server = httpsServer(tls.server());
    byte[] body = Fixtures.bytes("marathon-lb/tests-marathon15_apps.json");
    server.createContext("/v2/apps/pywebserver", ex -> {
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
    String url = "https://127.0.0.1:" + server.getAddress().getPort();
    try (MarathonSource trusted = MarathonSource.builder().url(url).sslContext(tls.client())
            .eventStream(false).pollInterval(Duration.ZERO).build();
         MarathonSource untrusted = MarathonSource.builder().url(url)
            .eventStream(false).pollInterval(Duration.ZERO).build()) {
      assertEquals(List.of("10.0.2.148:1565 HEALTHY"),
          endpoints(await(trusted.load("/pywebserver"))));
      assertInstanceOf(DiscoveryUnavailableException.class,
          failure(untrusted.load("/pywebserver")));
    } finally {
      server.stop(0);
    }
  }

  /**
   * An https Marathon that redirects to plain http (a misconfigured standby, or someone in the
   * way): the redirect is followed, the credentials are not sent with it. A redirect that stays
   * on https keeps them (the leader needs them too).
   */
  @Test
  void credentialsDoNotFollowARedirectFromHttpsToHttp(@TempDir Path dir) throws Exception {
    Contexts tls = Contexts.of(dir);
    byte[] body = Fixtures.bytes("marathon-lb/tests-marathon15_apps.json");
    List<String> plainAuth = new CopyOnWriteArrayList<>();
    List<String> tlsAuth = new CopyOnWriteArrayList<>();
    HttpServer plain = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    plain.createContext("/leader/v2/apps/pywebserver", ex -> {
      plainAuth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      ex.sendResponseHeaders(401, -1);
      ex.close();
    });
    plain.start();
    HttpsServer server = httpsServer(tls.server());
    String plainUrl = "http://127.0.0.1:" + plain.getAddress().getPort();
    server.createContext("/v2/apps/pywebserver", ex -> {
      ex.getResponseHeaders().add("Location", plainUrl + "/leader/v2/apps/pywebserver");
      ex.sendResponseHeaders(302, -1);
      ex.close();
    });
    server.createContext("/v2/apps/secure", ex -> {
      ex.getResponseHeaders().add("Location", "/leader/v2/apps/pywebserver");
      ex.sendResponseHeaders(307, -1);
      ex.close();
    });
    server.createContext("/leader/v2/apps/pywebserver", ex -> {
      tlsAuth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
    String url = "https://127.0.0.1:" + server.getAddress().getPort();
    try (MarathonSource source = MarathonSource.builder().url(url).sslContext(tls.client())
        .basicAuth("u", "p").eventStream(false).pollInterval(Duration.ZERO).build()) {
      Throwable error = failure(source.load("/pywebserver"));
      assertInstanceOf(MarathonAuthenticationException.class, error);
      assertEquals(List.of("null"), plainAuth, "credentials sent over plain http");
      // Still https after the redirect: the credentials follow (the answer is another app's).
      assertInstanceOf(DiscoveryUnavailableException.class, failure(source.load("/secure")));
      assertEquals(List.of("Basic dTpw"), tlsAuth);
    } finally {
      server.stop(0);
      plain.stop(0);
    }
  }
}
