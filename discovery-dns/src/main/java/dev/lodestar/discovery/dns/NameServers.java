package dev.lodestar.discovery.dns;

import dev.lodestar.discovery.internal.Failover;
import dev.lodestar.discovery.internal.Futures;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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
  private final Executor executor;
  private final Failover failover;

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
    this.failover = new Failover(resolvers.size(), retries + 1);
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
    return failover.run(index -> ask(query, index), (failures, lastCause) ->
        new QueryFailedException(describe(query) + " failed on every name server: " + failures,
            lastCause));
  }

  private CompletableFuture<Failover.Step<Message>> ask(Message query, int index) {
    String server = addresses.get(index);
    CompletableFuture<Message> sent;
    try {
      sent = resolvers.get(index).sendAsync(query.clone(), executor).toCompletableFuture();
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle((reply, error) -> {
      if (error != null) {
        Throwable cause = Futures.unwrap(error);
        LOG.log(Level.DEBUG, () -> describe(query) + ": " + cause + " from " + server);
        return Failover.Step.next(server + " " + cause, cause);
      }
      int rcode = reply.getRcode();
      if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
        return Failover.Step.done(reply);
      }
      LOG.log(Level.DEBUG, () -> describe(query) + ": " + Rcode.string(rcode) + " from " + server);
      return Failover.Step.next(server + " " + Rcode.string(rcode), null);
    });
  }

  private static String describe(Message query) {
    Record question = query.getQuestion();
    return Type.string(question.getType()) + " " + question.getName();
  }

  /** Every name server failed or timed out for one question. */
  static final class QueryFailedException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    QueryFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
