package dev.lodestar.discovery.dns;

import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Sends one question to a list of name servers with failover, on dnsjava's asynchronous
 * transport.
 *
 * <p>Each server gets {@code retries + 1} attempts before the next one is tried. A reply with
 * NOERROR or NXDOMAIN is final; SERVFAIL, REFUSED, any other rcode, a timeout or an I/O error
 * counts as a failed attempt. The server that answered last is asked first next time. A UDP reply
 * with the TC bit set is retried over TCP by dnsjava's {@link SimpleResolver} itself, so callers
 * always get the whole answer.
 *
 * <p>Thread safety: safe for concurrent use; the resolvers are configured once and never changed.
 */
final class NameServers {
  private static final System.Logger LOG = System.getLogger(NameServers.class.getName());

  private final List<SimpleResolver> resolvers;
  private final List<String> addresses;
  private final int attemptsPerServer;
  private final Executor executor;
  private final AtomicInteger preferred = new AtomicInteger();

  NameServers(
      List<InetSocketAddress> servers,
      Duration timeout,
      int retries,
      boolean tcp,
      Executor executor) {
    List<SimpleResolver> list = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (InetSocketAddress server : servers) {
      SimpleResolver resolver = new SimpleResolver(server);
      resolver.setTimeout(timeout);
      resolver.setTCP(tcp);
      list.add(resolver);
      names.add(format(server));
    }
    this.resolvers = List.copyOf(list);
    this.addresses = List.copyOf(names);
    this.attemptsPerServer = retries + 1;
    this.executor = executor;
  }

  static String format(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** The servers in configuration order, as {@code host:port}. */
  List<String> addresses() {
    return addresses;
  }

  /**
   * Asks for {@code name}/{@code type}; the future completes with a NOERROR or NXDOMAIN reply, or
   * exceptionally with a {@link QueryFailedException} that lists what each attempt got.
   */
  CompletableFuture<Message> query(Name name, int type) {
    Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
    CompletableFuture<Message> result = new CompletableFuture<>();
    int first = preferred.get();
    attempt(query, first, 0, new StringBuilder(), null, result);
    return result;
  }

  private void attempt(
      Message query,
      int first,
      int attempt,
      StringBuilder failures,
      Throwable lastCause,
      CompletableFuture<Message> result) {
    int total = resolvers.size() * attemptsPerServer;
    if (attempt >= total) {
      result.completeExceptionally(new QueryFailedException(
          describe(query) + " failed on every name server: " + failures, lastCause));
      return;
    }
    int index = (first + attempt / attemptsPerServer) % resolvers.size();
    SimpleResolver resolver = resolvers.get(index);
    CompletableFuture<Message> sent;
    try {
      sent = resolver.sendAsync(query.clone(), executor).toCompletableFuture();
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((reply, error) -> {
      String server = addresses.get(index);
      if (error == null) {
        int rcode = reply.getRcode();
        if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
          preferred.set(index);
          result.complete(reply);
          return;
        }
        note(failures, server, Rcode.string(rcode));
        LOG.log(Level.DEBUG,
            () -> describe(query) + ": " + Rcode.string(rcode) + " from " + server);
        attempt(query, first, attempt + 1, failures, lastCause, result);
      } else {
        Throwable cause = unwrap(error);
        note(failures, server, String.valueOf(cause));
        LOG.log(Level.DEBUG, () -> describe(query) + ": " + cause + " from " + server);
        attempt(query, first, attempt + 1, failures, cause, result);
      }
    });
  }

  private static void note(StringBuilder failures, String server, String what) {
    if (failures.length() > 0) {
      failures.append("; ");
    }
    failures.append(server).append(' ').append(what);
  }

  private static String describe(Message query) {
    Record question = query.getQuestion();
    return Type.string(question.getType()) + " " + question.getName();
  }

  static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Every name server failed or timed out for one question. */
  static final class QueryFailedException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    QueryFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
