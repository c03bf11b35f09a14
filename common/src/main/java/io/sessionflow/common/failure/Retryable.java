package io.sessionflow.common.failure;

/** Implemented by Sessionflow's exception types: says whether trying the same work again can succeed. */
public interface Retryable {
  boolean retryable();
}
