package dev.lodestar.discovery.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real gRPC server (grpc-netty) on loopback with one unary method, {@code lodestar.test.Echo/Who},
 * that answers with the server's name. No protoc: the messages are UTF-8 strings.
 */
final class EchoServer implements AutoCloseable {
  static final MethodDescriptor<String, String> WHO = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("lodestar.test.Echo/Who")
      .setRequestMarshaller(new Utf8())
      .setResponseMarshaller(new Utf8())
      .build();

  final String name;
  final AtomicInteger calls = new AtomicInteger();
  /** When set, every call fails with this status. */
  volatile Status failWith;
  /** Milliseconds each call waits before answering. */
  volatile long delayMillis;
  private final Server server;

  EchoServer(String name) throws IOException {
    this.name = name;
    ServerServiceDefinition service = ServerServiceDefinition.builder("lodestar.test.Echo")
        .addMethod(WHO, ServerCalls.asyncUnaryCall((request, response) -> {
          calls.incrementAndGet();
          Status failure = failWith;
          if (failure != null) {
            response.onError(failure.asRuntimeException());
            return;
          }
          if (delayMillis > 0) {
            try {
              Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          response.onNext(name);
          response.onCompleted();
        }))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service)
        .build()
        .start();
  }

  int port() {
    return server.getPort();
  }

  /**
   * Stops the server the way a gRPC server stops on SIGTERM: grpc-netty's graceful shutdown sends
   * GOAWAY with last-stream-id 2^31-1, waits for the client to answer a ping, then sends GOAWAY
   * with the real last stream and closes. So the client has read the GOAWAY before the connection
   * goes, places no new RPC on it, and an RPC that raced it is refused unprocessed, which gRPC's
   * transparent retry resends elsewhere. Returns once the server has terminated.
   */
  void stop() throws InterruptedException {
    server.shutdown();
    if (!server.awaitTermination(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + ": server still running 30 s after shutdown()");
    }
  }

  /**
   * Teardown: {@code shutdownNow()} cancels what is running and closes the connections without
   * waiting for clients to read a GOAWAY, so an RPC placed on one meanwhile fails with
   * {@code UNAVAILABLE}, like a hard kill; tests that count failed RPCs use {@link #stop()}.
   */
  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(10, TimeUnit.SECONDS);
  }

  static final class Utf8 implements MethodDescriptor.Marshaller<String> {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
