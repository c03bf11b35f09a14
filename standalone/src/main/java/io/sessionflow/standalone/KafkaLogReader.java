package io.sessionflow.standalone;

import io.sessionflow.common.event.AuditChainEntryEvent;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.Topic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.common.record.FileRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;

/**
 * Reads the audit topic's copy of the chain straight from the embedded broker's log segments, so
 * {@code verify-audit} can cross-check object storage against Kafka whether or not the broker runs.
 */
final class KafkaLogReader {
  private KafkaLogReader() {
  }

  static List<AuditChainEntryEvent> auditChain(Path kafkaDir) {
    List<AuditChainEntryEvent> entries = new ArrayList<>();
    try (Stream<Path> partitions = Files.list(kafkaDir)) {
      for (Path partition : partitions.filter(p -> p.getFileName().toString()
          .startsWith(Topic.AUDIT.topicName() + "-")).sorted().toList()) {
        try (Stream<Path> segments = Files.list(partition)) {
          for (Path segment : segments.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
            read(segment, entries);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Kafka logs in " + kafkaDir, e);
    }
    return entries;
  }

  private static void read(Path segment, List<AuditChainEntryEvent> into) throws IOException {
    try (FileRecords records = FileRecords.open(segment.toFile(), false)) {
      for (RecordBatch batch : records.batches()) {
        if (batch.isControlBatch()) {
          continue;
        }
        for (Record record : batch) {
          if (!record.hasValue()) {
            continue;
          }
          ByteBuffer value = record.value();
          byte[] bytes = new byte[value.remaining()];
          value.get(bytes);
          decode(bytes, into);
        }
      }
    }
  }

  private static void decode(byte[] bytes, List<AuditChainEntryEvent> into) {
    try {
      PipelineEvent event = EventCodec.decode(bytes);
      if (event instanceof AuditChainEntryEvent entry) {
        into.add(entry);
      }
    } catch (RuntimeException e) {
      // Not one of ours (or another schema): the chain copy only consists of chain entries.
    }
  }
}
