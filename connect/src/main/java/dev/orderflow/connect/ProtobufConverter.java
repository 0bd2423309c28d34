package dev.orderflow.connect;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.storage.Converter;

/**
 * Reads orderflow's events, Protobuf in Confluent's wire format as confluent-kafka writes
 * them, into Connect rows (see {@link EventMapping}). For sinks only.
 *
 * <p>Config: {@code registry.url}, the registry's Confluent-compatible API (e.g.
 * http://localhost:8081/apis/ccompat/v7).
 */
public final class ProtobufConverter implements Converter {
  public static final String REGISTRY_URL = "registry.url";

  private SchemaSource schemas;
  // By topic, writer schema id and message indexes.
  private final Map<String, EventMapping> mappings = new ConcurrentHashMap<>();
  // By topic: the latest version of its value subject when its mappings were made.
  private final Map<String, Integer> readers = new ConcurrentHashMap<>();

  @Override
  public ConfigDef config() {
    return new ConfigDef()
        .define(REGISTRY_URL, ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "Confluent-compatible registry API");
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    Object url = configs.get(REGISTRY_URL);
    if (url == null) {
      throw new ConfigException(REGISTRY_URL + " is required");
    }
    schemas = new RegistrySchemas(URI.create(url.toString().replaceAll("/+$", "")));
  }

  @Override
  public SchemaAndValue toConnectData(String topic, byte[] value) {
    // A tombstone stays one, so a sink can tell it from an event.
    if (value == null) {
      return SchemaAndValue.NULL;
    }
    WireFormat header = WireFormat.read(value);
    String key = topic + "/" + header.schemaId() + "/" + header.indexes();
    EventMapping mapping = mappings.get(key);
    if (mapping == null) {
      mapping = newMapping(topic, header, key);
    }
    return new SchemaAndValue(mapping.schema(), mapping.toStruct(value, header.payloadOffset()));
  }

  /**
   * A writer schema not seen before on this topic: read it with the latest version of the
   * topic's subject (TopicNameStrategy). When that is newer than the one the topic's mappings
   * were made with, they are dropped, so from now on every row has the newer shape.
   */
  private synchronized EventMapping newMapping(String topic, WireFormat header, String key) {
    Descriptor writer = message(schemas.file(header.schemaId()), header.indexes());
    OptionalInt latest = schemas.latestId(topic + "-value");
    Descriptor reader = writer;
    if (latest.isPresent()) {
      Integer previous = readers.put(topic, latest.getAsInt());
      if (previous != null && previous != latest.getAsInt()) {
        mappings.keySet().removeIf(k -> k.startsWith(topic + "/"));
      }
      Descriptor newest = byFullName(schemas.file(latest.getAsInt()).getMessageTypes(), writer.getFullName());
      reader = newest == null ? writer : newest;
    }
    EventMapping mapping = new EventMapping(writer, reader, header.schemaId());
    mappings.put(key, mapping);
    return mapping;
  }

  @Override
  public byte[] fromConnectData(String topic, Schema schema, Object value) {
    throw new DataException("ProtobufConverter only reads: orderflow's producers write the events");
  }

  private static Descriptor byFullName(List<Descriptor> types, String fullName) {
    for (Descriptor type : types) {
      Descriptor found = type.getFullName().equals(fullName) ? type : byFullName(type.getNestedTypes(), fullName);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  /** The message type at the indexes' path: a top-level message, then nested ones. */
  static Descriptor message(FileDescriptor file, List<Integer> indexes) {
    List<Descriptor> candidates = file.getMessageTypes();
    Descriptor found = null;
    for (int index : indexes) {
      if (index < 0 || index >= candidates.size()) {
        throw new DataException(file.getName() + " has no message at index path " + indexes);
      }
      found = candidates.get(index);
      candidates = found.getNestedTypes();
    }
    return found;
  }
}
