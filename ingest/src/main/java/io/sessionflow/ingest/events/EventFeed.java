package io.sessionflow.ingest.events;

import io.sessionflow.common.kafka.ConsumedEvent;
import io.sessionflow.ingest.webhook.WebhookEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The recordings' events as apps see them on {@code GET /v1/events}: the same events webhooks
 * carry, in the order this replica's status view read them, the newest {@link #RETAINED} kept so
 * a client that reconnects with {@code Last-Event-ID} gets what it missed. Ids are the events'
 * own (the same on every replica), so a client resuming elsewhere is not confused: it may see an
 * event again, never under another id.
 */
public final class EventFeed {
  static final int RETAINED = 10_000;
  private final ArrayDeque<WebhookEvent> journal = new ArrayDeque<>();
  private final List<Consumer<WebhookEvent>> listeners = new CopyOnWriteArrayList<>();
  private final Function<String, Optional<WebhookEvent.Owners>> owners;

  public EventFeed(Function<String, Optional<WebhookEvent.Owners>> owners) {
    this.owners = owners;
  }

  /** Told every event the status view reads (its replay of the past included). */
  public void accept(ConsumedEvent consumed) {
    WebhookEvent.of(consumed, owners).ifPresent(this::append);
  }

  void append(WebhookEvent event) {
    synchronized (journal) {
      journal.addLast(event);
      if (journal.size() > RETAINED) {
        journal.removeFirst();
      }
    }
    listeners.forEach(listener -> listener.accept(event));
  }

  /**
   * Subscribes {@code listener} to new events, and returns the retained ones after
   * {@code lastEventId} (all retained ones when that id is no longer held; none without an id).
   * Taken together, so no event falls between the two.
   */
  Subscription subscribe(String lastEventId, Consumer<WebhookEvent> listener) {
    synchronized (journal) {
      List<WebhookEvent> missed = new ArrayList<>();
      if (lastEventId != null) {
        boolean found = false;
        for (WebhookEvent event : journal) {
          if (found) {
            missed.add(event);
          } else if (event.id().equals(lastEventId)) {
            found = true;
          }
        }
        if (!found) {
          missed.addAll(journal);
        }
      }
      listeners.add(listener);
      return new Subscription(missed, () -> listeners.remove(listener));
    }
  }

  /** What a new subscriber missed, and how it stops listening. */
  record Subscription(List<WebhookEvent> missed, Runnable cancel) {
  }
}
