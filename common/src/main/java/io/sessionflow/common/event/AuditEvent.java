package io.sessionflow.common.event;

import java.time.Instant;

/**
 * One entry of the audit trail: who did what to which resource, with what outcome. No PHI.
 *
 * @param auditId      unique id of the entry
 * @param actor        the caller's subject id, or the component's name
 * @param role         the caller's role, or {@code system}
 * @param action       e.g. {@code transcript.read}, {@code upload.create}, {@code audio.purge}
 * @param resourceType e.g. {@code recording}, {@code consent}
 * @param resourceId   the resource's id
 * @param outcome      e.g. {@code ok}, {@code denied}, {@code not-found}
 */
public record AuditEvent(int schemaVersion, Instant occurredAt, String auditId, String actor, String role,
    String action, String resourceType, String resourceId, String outcome) implements PipelineEvent {

  public static final String TYPE = "audit";

  @Override
  public String key() {
    return resourceId;
  }

  @Override
  public Topic topic() {
    return Topic.AUDIT;
  }
}
