package io.sessionflow.ingest.audit;

import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.event.AuditEvent;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.kafka.EventPublisher;
import io.sessionflow.ingest.auth.Caller;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends who did what to which resource, with what outcome, to {@code sessionflow.audit}. No
 * PHI: ids, actions and outcomes only. An entry Kafka does not take at once is kept and retried,
 * so a short broker outage delays the trail instead of losing it.
 */
public final class AuditLog {
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  /** Actor of an entry for a request nobody was authenticated for. */
  public static final String ANONYMOUS = "anonymous";
  /** Role of an entry whose actor has no verified role. */
  public static final String NO_ROLE = "none";
  private final EventPublisher publisher;
  private final Clock clock;
  private final ConcurrentLinkedQueue<AuditEvent> retry = new ConcurrentLinkedQueue<>();

  public AuditLog(EventPublisher publisher, Clock clock, Vertx vertx) {
    this.publisher = publisher;
    this.clock = clock;
    vertx.setPeriodic(2_000, id -> retryPending());
  }

  public void record(Caller caller, String action, String resourceType, String resourceId, String outcome) {
    record(caller.subject(), caller.role().claim(), action, resourceType, resourceId, outcome);
  }

  /**
   * A refused request: outcome {@code denied:<reason>}, e.g. {@code denied:not-found} for a read of
   * another practice's recording answered 404. {@code caller} is null when nobody was authenticated;
   * the actor is then {@code anonymous}. {@code reason} is a short code (letters, digits, '-'),
   * never a value from the request.
   */
  public void denied(Caller caller, String action, String resourceType, String resourceId, String reason) {
    record(caller == null ? ANONYMOUS : caller.subject(), caller == null ? NO_ROLE : caller.role().claim(), action,
        resourceType, resourceId, deniedOutcome(reason));
  }

  /**
   * A request refused with 401: action {@code authenticate}, outcome {@code denied:<reason>} (see
   * {@code AuthException}'s codes). The actor is the token's subject only when its signature was
   * verified ({@code verifiedSubject}), else {@code anonymous}; no other claim and never the token.
   */
  public void unauthenticated(String verifiedSubject, String resourceType, String resourceId, String reason) {
    record(Ids.isValid(verifiedSubject) ? verifiedSubject : ANONYMOUS, NO_ROLE, "authenticate", resourceType,
        resourceId, deniedOutcome(reason));
  }

  private static String deniedOutcome(String reason) {
    return "denied:" + (reason != null && reason.matches("[a-z0-9][a-z0-9-]{0,39}") ? reason : "other");
  }

  public void record(String actor, String role, String action, String resourceType, String resourceId,
      String outcome) {
    send(new AuditEvent(PipelineEvent.CURRENT_SCHEMA_VERSION, clock.instant(), Ids.newId(), actor, role, action,
        resourceType, Ids.isValid(resourceId) ? resourceId : "invalid-id", outcome));
  }

  private void send(AuditEvent event) {
    publisher.publish(event).whenComplete((ok, error) -> {
      if (error != null) {
        LOG.warn("audit entry {} not yet written ({}); will retry", event.auditId(), Failures.reason(error));
        retry.add(event);
      }
    });
  }

  private void retryPending() {
    for (int i = retry.size(); i > 0; i--) {
      AuditEvent event = retry.poll();
      if (event == null) {
        return;
      }
      send(event);
    }
  }
}
