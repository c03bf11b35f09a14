package io.sessionflow.common.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** JSON for {@link PipelineEvent}s. Unknown fields are ignored, so older readers accept newer writers. */
public final class EventCodec {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private EventCodec() {
  }

  public static byte[] encode(PipelineEvent event) {
    try {
      return MAPPER.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new EventFormatException("cannot encode " + event.getClass().getSimpleName(), e);
    }
  }

  /**
   * Decodes a record value. Messages name what is wrong with the shape, never the content: a
   * bad record must not leak what it carried into a log.
   */
  public static PipelineEvent decode(byte[] value) {
    if (value == null || value.length == 0) {
      throw new EventFormatException("empty event value");
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(value);
    } catch (IOException e) {
      throw new EventFormatException("event value is not JSON (" + value.length + " bytes)");
    }
    if (tree == null || !tree.isObject()) {
      throw new EventFormatException("event value is not a JSON object");
    }
    JsonNode version = tree.get("schemaVersion");
    if (version == null || !version.canConvertToInt()) {
      throw new EventFormatException("event has no schemaVersion");
    }
    if (version.asInt() < 1 || version.asInt() > PipelineEvent.CURRENT_SCHEMA_VERSION) {
      throw new EventFormatException("unsupported schemaVersion " + version.asInt() + "; this build reads 1.."
          + PipelineEvent.CURRENT_SCHEMA_VERSION);
    }
    try {
      return MAPPER.treeToValue(tree, PipelineEvent.class);
    } catch (JsonProcessingException e) {
      JsonNode type = tree.get("type");
      throw new EventFormatException("event of type " + (type == null ? "(none)" : safeType(type.asText()))
          + " does not match its schema");
    }
  }

  public static String toJson(PipelineEvent event) {
    return new String(encode(event), StandardCharsets.UTF_8);
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  private static String safeType(String type) {
    return type.matches("[a-z.]{1,40}") ? type : "(unrecognised)";
  }
}
