package dev.lodestar.discovery.spring;

import dev.lodestar.discovery.Selection;
import java.io.IOException;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.CompletionContext;
import org.springframework.cloud.client.loadbalancer.LoadBalancerLifecycle;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.client.loadbalancer.ResponseData;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpResponse;

/**
 * Tracks each load-balanced call to an instance chosen by {@link LodestarLoadBalancer}, so that
 * Spring's {@code @LoadBalanced} clients feed Lodestar's in-flight counts, passive health and
 * latency estimates like {@code ServiceResolver.call} does. {@link #onStartRequest} starts the
 * tracking ({@link dev.lodestar.discovery.ServiceResolver#track}: the call counts in flight from
 * then on) and {@link #onComplete} reports the outcome on that ticket:
 *
 * <ul>
 *   <li>{@code SUCCESS} with an HTTP 5xx answer: a failure when {@code
 *       lodestar.loadbalancer.server-error-is-failure} is true (the default), else a success.
 *   <li>{@code SUCCESS} otherwise: a success; the latency is the time since the call started.
 *   <li>{@code FAILED}: a failure with the call's exception (a refused connection ejects the
 *       instance at once under the default health policy).
 *   <li>{@code DISCARD}: released with no verdict.
 * </ul>
 *
 * <p>Spring Cloud's clients pair the two calls: RestTemplate and RestClient through {@code
 * BlockingLoadBalancerClient.execute} (also under {@code RetryLoadBalancerInterceptor}, once per
 * attempt), WebClient through its load-balancer exchange filter (also the retrying one). A
 * choice that is never started ({@code LoadBalancerClient.choose} alone) is never counted. A
 * WebClient call cancelled before its response (a {@code timeout()}, a disposed subscription)
 * gets no completion from Spring; the auto-configuration's {@link LodestarWebClientSupport}
 * releases its ticket instead.
 *
 * <p>Thread safety: stateless apart from its setting; safe for concurrent use.
 */
public final class LodestarLoadBalancerLifecycle
    implements LoadBalancerLifecycle<Object, Object, ServiceInstance> {
  private final boolean serverErrorIsFailure;

  /** A lifecycle; {@code serverErrorIsFailure} says whether 5xx answers count as failures. */
  public LodestarLoadBalancerLifecycle(boolean serverErrorIsFailure) {
    this.serverErrorIsFailure = serverErrorIsFailure;
  }

  @Override
  @SuppressWarnings("rawtypes")
  public boolean supports(Class requestContextClass, Class responseClass, Class serverTypeClass) {
    return ServiceInstance.class.isAssignableFrom(serverTypeClass);
  }

  @Override
  public void onStart(Request<Object> request) {}

  @Override
  public void onStartRequest(Request<Object> request, Response<ServiceInstance> lbResponse) {
    if (lbResponse != null && lbResponse.getServer() instanceof LodestarServiceInstance) {
      ((LodestarServiceInstance) lbResponse.getServer()).startCall();
    }
  }

  @Override
  public void onComplete(CompletionContext<Object, ServiceInstance, Object> context) {
    Response<ServiceInstance> lb = context.getLoadBalancerResponse();
    if (lb == null || !(lb.getServer() instanceof LodestarServiceInstance)) {
      return;
    }
    Selection selection = ((LodestarServiceInstance) lb.getServer()).endCall();
    if (selection == null) {
      return; // never started, or already ended (released when WebClient cancelled it)
    }
    switch (context.status()) {
      case FAILED:
        Throwable error = context.getThrowable();
        selection.failure(error != null ? error : new IOException("load-balanced call failed"));
        break;
      case DISCARD:
        selection.release();
        break;
      case SUCCESS:
      default:
        int status = statusCode(context.getClientResponse());
        if (serverErrorIsFailure && status >= 500) {
          selection.failure(new IOException("HTTP " + status + " from " + lb.getServer()));
        } else {
          selection.success();
        }
        break;
    }
  }

  /** The HTTP status of the client's response, or -1 when the response says none. */
  private static int statusCode(Object clientResponse) {
    HttpStatusCode code = null;
    try {
      if (clientResponse instanceof ResponseData) {
        code = ((ResponseData) clientResponse).getHttpStatus();
      } else if (clientResponse instanceof ClientHttpResponse) {
        code = ((ClientHttpResponse) clientResponse).getStatusCode();
      }
    } catch (IOException e) {
      return -1;
    }
    return code == null ? -1 : code.value();
  }

  @Override
  public String toString() {
    return "LodestarLoadBalancerLifecycle[serverErrorIsFailure=" + serverErrorIsFailure + "]";
  }
}
