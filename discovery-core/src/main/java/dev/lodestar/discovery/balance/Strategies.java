package dev.lodestar.discovery.balance;

import dev.lodestar.discovery.Instance;
import dev.lodestar.discovery.internal.StampedLatency;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** The built-in strategies. Package-private: users reach them through the factories. */
final class Strategies {
  private Strategies() {}

  static final LoadBalancingStrategy ROUND_ROBIN = new Named("round-robin") {
    @Override
    public Picker newPicker(List<Endpoint> endpoints, Picker previous) {
      Cursors cursors = previous instanceof RoundRobinPicker
          ? ((RoundRobinPicker) previous).cursors
          : new Cursors();
      return new RoundRobinPicker(toArray(endpoints), cursors);
    }
  };

  static final LoadBalancingStrategy RANDOM = new Named("random") {
    @Override
    public Picker newPicker(List<Endpoint> endpoints, Picker previous) {
      return new RandomPicker(toArray(endpoints), null);
    }
  };

  static final LoadBalancingStrategy WEIGHTED_RANDOM = new Named("weighted-random") {
    @Override
    public Picker newPicker(List<Endpoint> endpoints, Picker previous) {
      Endpoint[] array = toArray(endpoints);
      return new RandomPicker(array, cumulativeWeights(array));
    }
  };

  static final LoadBalancingStrategy LEAST_IN_FLIGHT = new Named("least-in-flight") {
    @Override
    public Picker newPicker(List<Endpoint> endpoints, Picker previous) {
      Endpoint[] array = toArray(endpoints);
      return new LeastInFlightPicker(array, cumulativeWeights(array) == null);
    }
  };

  static final LoadBalancingStrategy PEAK_EWMA = new Named("peak-ewma") {
    @Override
    public Picker newPicker(List<Endpoint> endpoints, Picker previous) {
      return new PeakEwmaPicker(toArray(endpoints));
    }
  };

  static final LoadBalancingStrategy STICKY = new Named("sticky") {
    @Override
    public Picker newPicker(List<Endpoint> endpoints, Picker previous) {
      Cursors cursors = previous instanceof RingPicker
          ? ((RingPicker) previous).fallback.cursors
          : new Cursors();
      Endpoint[] array = toArray(endpoints);
      return new RingPicker(array, new RoundRobinPicker(array, cursors));
    }
  };

  private abstract static class Named implements LoadBalancingStrategy {
    private final String name;

    Named(String name) {
      this.name = name;
    }

    @Override
    public final String name() {
      return name;
    }

    @Override
    public final String toString() {
      return name;
    }
  }

  static Endpoint[] toArray(List<Endpoint> endpoints) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("a picker needs at least one endpoint");
    }
    return endpoints.toArray(new Endpoint[0]);
  }

  /**
   * The endpoints' instances, index for index: {@link Picker#pickInstance} reads an instance here
   * instead of loading the endpoint object.
   */
  static Instance[] instancesOf(Endpoint[] endpoints) {
    Instance[] instances = new Instance[endpoints.length];
    for (int i = 0; i < endpoints.length; i++) {
      instances[i] = endpoints[i].instance();
    }
    return instances;
  }

  /** Cumulative weights, or null when every weight is equal (the uniform fast path). */
  static double[] cumulativeWeights(Endpoint[] endpoints) {
    double first = endpoints[0].weight();
    boolean equal = true;
    double[] cumulative = new double[endpoints.length];
    double sum = 0;
    for (int i = 0; i < endpoints.length; i++) {
      double w = endpoints[i].weight();
      equal &= w == first;
      sum += w;
      cumulative[i] = sum;
    }
    return equal ? null : cumulative;
  }

  /** Index of the first cumulative weight above {@code x}. */
  static int weightedIndex(double[] cumulative, double x) {
    int i = Arrays.binarySearch(cumulative, x);
    i = i >= 0 ? i + 1 : -i - 1;
    return Math.min(i, cumulative.length - 1);
  }

  /**
   * A uniform index in {@code [0, bound)} from one 32-bit random draw, by multiply-shift
   * (Lemire) instead of {@code nextInt(bound)}'s division and rejection loop. The bias is at most
   * {@code bound / 2^32} per index (2.3e-7 at 1,000 endpoints), far below any spread that matters.
   */
  static int index(int random32, int bound) {
    return (int) (((random32 & 0xFFFFFFFFL) * bound) >>> 32);
  }

  /**
   * Round-robin positions without one shared counter: {@link #STRIPES} padded counters, each used
   * by the threads whose id falls on it, so two threads on two cores do not bounce one cache line.
   * Every counter is incremented atomically and cycles through the endpoints in order on its own,
   * so over any run of picks an instance's count differs from the mean by at most the number of
   * counters in use (each contributes the floor or the ceiling of its picks / n). A picker built
   * for a new snapshot takes over the same counters: each continues from where it was (modulo the
   * new endpoint count), so a rebuild adds at most one partial cycle per counter.
   *
   * <p>Thread safety: lock-free; counters are only touched through atomic adds.
   */
  static final class Cursors {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(int[].class);
    /** 32 ints = 128 bytes between two counters: no two share a cache line (or an adjacent pair). */
    private static final int PAD = 32;
    /** Counters per service: the next power of two at or above 2 x cores, 4 to 64. */
    static final int STRIPES = stripes(Runtime.getRuntime().availableProcessors());
    final int[] slots = new int[(STRIPES + 1) * PAD];

    static int stripes(int cores) {
      int wanted = Math.max(4, Math.min(64, 2 * cores));
      return Integer.highestOneBit(wanted - 1) << 1;
    }

    /**
     * The calling thread's next position in {@code slots} (a {@link Cursors}' array, which a
     * picker keeps itself to save the load of this object), never negative.
     */
    static int next(int[] slots) {
      int stripe = (int) Thread.currentThread().getId() & (STRIPES - 1);
      return (int) SLOT.getAndAdd(slots, (stripe + 1) * PAD, 1) & Integer.MAX_VALUE;
    }
  }

  /**
   * A picker that chooses an index alone, from the endpoint count ({@link #nextIndex}): {@code
   * pick} and {@code pickInstance} read the same index from the endpoints or from their
   * instances. The array and its length are read before {@code nextIndex} (an argument is
   * evaluated before the call): loads after round-robin's atomic add wait for it, loads before it
   * overlap.
   */
  abstract static class IndexPicker implements Picker {
    private final Endpoint[] endpoints;
    private final Instance[] instances;
    /** Cumulative weights, or null when every weight is equal. */
    final double[] cumulative;

    IndexPicker(Endpoint[] endpoints, double[] cumulative) {
      this.endpoints = endpoints;
      this.instances = instancesOf(endpoints);
      this.cumulative = cumulative;
    }

    @Override
    public final Endpoint pick(String affinityKey) {
      Endpoint[] e = endpoints;
      return e[nextIndex(e.length)];
    }

    @Override
    public final Instance pickInstance(String affinityKey) {
      Instance[] a = instances;
      return a[nextIndex(a.length)];
    }

    /** The next index in {@code [0, n)}, {@code n} being the endpoint count. */
    abstract int nextIndex(int n);
  }

  /**
   * Round-robin. Equal weights: exact cycling per {@link Cursors} counter. Unequal weights: the
   * golden-ratio sequence {@code frac(i * 0.618...)} mapped through cumulative weights, which
   * spreads picks evenly and in proportion to weight without locks or a schedule table.
   */
  static final class RoundRobinPicker extends IndexPicker {
    private static final double GOLDEN = 0.6180339887498949;
    final Cursors cursors;
    /** {@code cursors.slots}, kept here so a pick reads it without going through cursors. */
    private final int[] slots;

    RoundRobinPicker(Endpoint[] endpoints, Cursors cursors) {
      super(endpoints, cumulativeWeights(endpoints));
      this.cursors = cursors;
      this.slots = cursors.slots;
    }

    @Override
    int nextIndex(int n) {
      double[] c = cumulative;
      int i = Cursors.next(slots);
      if (c == null) {
        return i % n;
      }
      double x = i * GOLDEN;
      x -= (long) x;
      return weightedIndex(c, x * c[c.length - 1]);
    }
  }

  /** Uniform or weighted random choice. */
  static final class RandomPicker extends IndexPicker {
    RandomPicker(Endpoint[] endpoints, double[] cumulative) {
      super(endpoints, cumulative);
    }

    @Override
    int nextIndex(int n) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      double[] c = cumulative;
      if (c == null) {
        return index(random.nextInt(), n);
      }
      return weightedIndex(c, random.nextDouble() * c[c.length - 1]);
    }
  }

  /**
   * Power of two choices by calls in flight: two distinct random endpoints, the one with fewer
   * calls in flight (divided by its weight) wins, a tie is broken at random. With equal weights
   * the counts are compared as integers. One 64-bit draw gives both indexes and the tie-break
   * bit ({@link #first}, {@link #second}).
   */
  static final class LeastInFlightPicker implements Picker {
    private final Endpoint[] endpoints;
    private final boolean equalWeights;

    LeastInFlightPicker(Endpoint[] endpoints, boolean equalWeights) {
      this.endpoints = endpoints;
      this.equalWeights = equalWeights;
    }

    @Override
    public Endpoint pick(String affinityKey) {
      int n = endpoints.length;
      if (n == 1) {
        return endpoints[0];
      }
      long r = ThreadLocalRandom.current().nextLong();
      int a = first(r, n);
      Endpoint ea = endpoints[a];
      Endpoint eb = endpoints[second(r, n, a)];
      boolean tieToA = (r & 1) == 0;
      if (equalWeights) {
        int ia = ea.inFlight();
        int ib = eb.inFlight();
        return ia < ib ? ea : ia > ib ? eb : tieToA ? ea : eb;
      }
      // inFlight / weight compared by cross-multiplying (weights are positive): no division.
      double ca = ea.inFlight() * eb.weight();
      double cb = eb.inFlight() * ea.weight();
      return ca < cb ? ea : ca > cb ? eb : tieToA ? ea : eb;
    }
  }

  /** The first index of a power-of-two draw: the high word of {@code r}. */
  static int first(long r, int n) {
    return index((int) (r >>> 32), n);
  }

  /** The second index, distinct from {@code a}: bits 1-31 of {@code r} (bit 0 breaks ties). */
  static int second(long r, int n, int a) {
    int b = (int) ((((r >>> 1) & 0x7FFFFFFFL) * (n - 1)) >>> 31);
    return b >= a ? b + 1 : b;
  }

  /**
   * Power of two choices by peak EWMA: the cost of an endpoint is its latency estimate x (calls
   * in flight + 1) / weight, the cheaper of two random endpoints wins, a tie is broken at random.
   * Over the resolver's own endpoints, two latency estimates are compared as of the later of
   * their sample times ({@link StampedLatency}), which orders them as "now" would without a
   * clock read (30 ns on a VM, more than the rest of the pick); only a candidate with no sample
   * yet, or an endpoint of a custom strategy, sends the pick to the clock-reading {@link
   * #byCostNow}.
   *
   * <p>A class of its own, apart from {@link LeastInFlightPicker}: with both in one method the
   * JIT compiled it past its inlining size limit (InlineSmallCode), so every select paid a call.
   */
  static final class PeakEwmaPicker implements Picker {
    /** Cost of an endpoint with calls in flight but no latency sample yet (Finagle's penalty). */
    private static final double PENALTY_NANOS = 1e9;
    /** Stamps closer than this decay by less than 10^-4 relative to each other: not applied. */
    private static final long NEGLIGIBLE_GAP_NANOS = (long) (StampedLatency.DECAY_NANOS * 1e-4);
    private final Endpoint[] endpoints;
    /** The same endpoints, when every one is a StampedLatency; else null. */
    private final StampedLatency[] stamped;

    PeakEwmaPicker(Endpoint[] endpoints) {
      this.endpoints = endpoints;
      this.stamped = stampedOrNull(endpoints);
    }

    private static StampedLatency[] stampedOrNull(Endpoint[] endpoints) {
      StampedLatency[] result = new StampedLatency[endpoints.length];
      for (int i = 0; i < endpoints.length; i++) {
        if (!(endpoints[i] instanceof StampedLatency)) {
          return null;
        }
        result[i] = (StampedLatency) endpoints[i];
      }
      return result;
    }

    @Override
    public Endpoint pick(String affinityKey) {
      int n = endpoints.length;
      if (n == 1) {
        return endpoints[0];
      }
      long r = ThreadLocalRandom.current().nextLong();
      int a = first(r, n);
      int b = second(r, n, a);
      boolean tieToA = (r & 1) == 0;
      StampedLatency[] stamped = this.stamped;
      if (stamped != null) {
        StampedLatency sa = stamped[a];
        StampedLatency sb = stamped[b];
        double la = sa.latencyEstimateNanosAtStamp();
        double lb = sb.latencyEstimateNanosAtStamp();
        if (la != 0.0 && lb != 0.0) {
          Endpoint ea = endpoints[a];
          Endpoint eb = endpoints[b];
          // As of the later stamp (decaying both on to now would scale both alike): one factor
          // on a's side, whichever is later, so no branch on the order of the stamps (a coin
          // flip the CPU mispredicts half the time); none for stamps less than
          // NEGLIGIBLE_GAP_NANOS apart, where it is within 10^-4 of 1 (far below the estimates'
          // own noise), the common case of a busy service. Cost / weight by cross-multiplying.
          long gap = sb.latencyStampNanos() - sa.latencyStampNanos();
          double ca = la * (ea.inFlight() + 1) * eb.weight();
          if (gap > NEGLIGIBLE_GAP_NANOS || gap < -NEGLIGIBLE_GAP_NANOS) {
            ca *= StampedLatency.decay(gap);
          }
          double cb = lb * (eb.inFlight() + 1) * ea.weight();
          return ca < cb ? ea : ca > cb ? eb : tieToA ? ea : eb;
        }
      }
      return byCostNow(endpoints[a], endpoints[b], tieToA);
    }

    /** The comparison as of now (reads the clock): a candidate without a sample, or custom. */
    private static Endpoint byCostNow(Endpoint ea, Endpoint eb, boolean tieToA) {
      double ca = cost(ea);
      double cb = cost(eb);
      return ca < cb ? ea : ca > cb ? eb : tieToA ? ea : eb;
    }

    private static double cost(Endpoint e) {
      int inFlight = e.inFlight();
      double latency = e.latencyEstimateNanos();
      if (latency == 0.0 && inFlight != 0) {
        return (PENALTY_NANOS + inFlight) / e.weight();
      }
      return latency * (inFlight + 1) / e.weight();
    }
  }

  /**
   * Consistent hashing on a ring of {@link #VIRTUAL_NODES} points per endpoint. Removing one of N
   * endpoints moves only the keys that hashed to its points (about 1/N); the others keep their
   * owner because the remaining points do not move.
   */
  static final class RingPicker implements Picker {
    static final int VIRTUAL_NODES = 100;
    final RoundRobinPicker fallback;
    private final long[] points;
    private final Endpoint[] owners;

    RingPicker(Endpoint[] endpoints, RoundRobinPicker fallback) {
      this.fallback = fallback;
      int size = endpoints.length * VIRTUAL_NODES;
      long[] keyed = new long[size];
      Integer[] order = new Integer[size];
      for (int e = 0; e < endpoints.length; e++) {
        long base = hash(endpoints[e].instance().instanceId().getBytes(StandardCharsets.UTF_8));
        for (int v = 0; v < VIRTUAL_NODES; v++) {
          int slot = e * VIRTUAL_NODES + v;
          keyed[slot] = mix(base + 0x9E3779B97F4A7C15L * (v + 1));
          order[slot] = slot;
        }
      }
      Arrays.sort(order, (x, y) -> Long.compare(keyed[x], keyed[y]));
      points = new long[size];
      owners = new Endpoint[size];
      for (int i = 0; i < size; i++) {
        points[i] = keyed[order[i]];
        owners[i] = endpoints[order[i] / VIRTUAL_NODES];
      }
    }

    @Override
    public Endpoint pick(String affinityKey) {
      if (affinityKey == null) {
        return fallback.pick(null);
      }
      long h = mix(hash(affinityKey));
      int i = Arrays.binarySearch(points, h);
      if (i < 0) {
        i = -i - 1;
        if (i == points.length) {
          i = 0;
        }
      }
      return owners[i];
    }

    /** FNV-1a over the key's chars; no allocation. */
    static long hash(CharSequence key) {
      long h = 0xcbf29ce484222325L;
      for (int i = 0; i < key.length(); i++) {
        h ^= key.charAt(i);
        h *= 0x100000001b3L;
      }
      return h;
    }

    static long hash(byte[] key) {
      long h = 0xcbf29ce484222325L;
      for (byte b : key) {
        h ^= b & 0xff;
        h *= 0x100000001b3L;
      }
      return h;
    }

    /** MurmurHash3's 64-bit finalizer: spreads FNV's weak low bits over the ring. */
    static long mix(long z) {
      z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
      z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
      return z ^ (z >>> 33);
    }
  }
}
