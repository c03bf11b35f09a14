package io.sessionflow.ingest.upload;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;

/** Upload metrics ops rely on; labels are low-cardinality (source only), never ids or names. */
public final class UploadMetrics {
  private final MeterRegistry registry;
  private final Counter bytes;
  private final Counter expired;
  private final Counter tookOver;
  private final DistributionSummary sizes;

  public UploadMetrics(MeterRegistry registry, Collection<?> active) {
    this.registry = registry;
    this.bytes = Counter.builder("sessionflow.upload.bytes").description("Audio bytes received").register(registry);
    this.expired = Counter.builder("sessionflow.uploads.expired")
        .description("Unfinished uploads expired and deleted").register(registry);
    this.tookOver = Counter.builder("sessionflow.uploads.takeovers")
        .description("Requests that took an upload over from an older request of the same upload still open")
        .register(registry);
    this.sizes = DistributionSummary.builder("sessionflow.upload.size").baseUnit("bytes")
        .description("Sizes of completed recordings").register(registry);
    Gauge.builder("sessionflow.uploads.active", active, Collection::size)
        .description("Upload requests being written right now").register(registry);
  }

  void received(long count) {
    bytes.increment(count);
  }

  void created(String source) {
    Counter.builder("sessionflow.uploads.started").tag("source", source).register(registry).increment();
  }

  void completed(UploadState state) {
    Counter.builder("sessionflow.uploads.completed").tag("source", state.source()).register(registry).increment();
    sizes.record(state.length());
  }

  /** A completed upload whose bytes were already a recording of the same uploader and consent. */
  void duplicate(String source) {
    Counter.builder("sessionflow.uploads.duplicates").tag("source", source)
        .description("Completed uploads recognised (by SHA-256) as a recording the uploader already stored "
            + "under the same consent; not stored again").register(registry).increment();
  }

  void tookOver() {
    tookOver.increment();
  }

  void expired() {
    expired.increment();
  }
}
