package dev.orderflow.connect;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;

/**
 * One event type of one writer schema as a Connect row: the event type, the writer's schema
 * id, each top-level scalar field (enums by name, Timestamps as Connect Timestamps) as a
 * column, and the whole event as JSON in {@code payload}, so repeated and nested fields are
 * kept too. The columns are the reader's: the latest version of the type, so events of every
 * version make rows of one shape (a field the writer lacks is null).
 */
final class EventMapping {
  private static final JsonFormat.Printer JSON =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();

  private final Descriptor writer;
  private final int schemaId;
  private final List<String> columns = new ArrayList<>();
  private final Schema schema;

  EventMapping(Descriptor writer, Descriptor reader, int schemaId) {
    this.writer = writer;
    this.schemaId = schemaId;
    // No version: rows of every writer version share this schema, so the sink never sees one
    // table's schema change within a batch.
    SchemaBuilder builder =
        SchemaBuilder.struct()
            .name(reader.getFullName())
            .field("event_type", Schema.STRING_SCHEMA)
            .field("schema_id", Schema.INT32_SCHEMA);
    List<FieldDescriptor> fields = new ArrayList<>(reader.getFields());
    // A field only the writer has (one a later version removed) is kept as a column too.
    writer.getFields().stream().filter(f -> reader.findFieldByName(f.getName()) == null).forEach(fields::add);
    for (FieldDescriptor field : fields) {
      Schema column = columnSchema(field);
      if (column != null) {
        builder.field(field.getName(), column);
        columns.add(field.getName());
      }
    }
    schema = builder.field("payload", Schema.STRING_SCHEMA).build();
  }

  Schema schema() {
    return schema;
  }

  Struct toStruct(byte[] record, int offset) {
    DynamicMessage message;
    String json;
    try {
      message = DynamicMessage.parseFrom(writer, CodedInputStream.newInstance(record, offset, record.length - offset));
      json = JSON.print(message);
    } catch (IOException e) {
      throw new DataException("not a valid " + writer.getFullName() + ": " + e.getMessage(), e);
    }
    Struct row =
        new Struct(schema)
            .put("event_type", writer.getFullName())
            .put("schema_id", schemaId)
            .put("payload", json);
    for (String column : columns) {
      FieldDescriptor field = writer.findFieldByName(column);
      row.put(column, field == null ? null : columnValue(field, message));
    }
    return row;
  }
  /** The column a field becomes, or null when it stays in the payload only. */
  private static Schema columnSchema(FieldDescriptor field) {
    if (field.isRepeated()) {
      return null;
    }
    return switch (field.getJavaType()) {
      case INT -> isUnsigned(field) ? Schema.OPTIONAL_INT64_SCHEMA : Schema.OPTIONAL_INT32_SCHEMA;
      // An unsigned 64-bit value may not fit a signed column: it is kept as its decimal text.
      case LONG -> isUnsigned(field) ? Schema.OPTIONAL_STRING_SCHEMA : Schema.OPTIONAL_INT64_SCHEMA;
      case FLOAT -> Schema.OPTIONAL_FLOAT32_SCHEMA;
      case DOUBLE -> Schema.OPTIONAL_FLOAT64_SCHEMA;
      case BOOLEAN -> Schema.OPTIONAL_BOOLEAN_SCHEMA;
      case STRING, ENUM -> Schema.OPTIONAL_STRING_SCHEMA;
      case BYTE_STRING -> Schema.OPTIONAL_BYTES_SCHEMA;
      case MESSAGE -> isTimestamp(field) ? Timestamp.builder().optional().build() : null;
    };
  }

  private static Object columnValue(FieldDescriptor field, DynamicMessage message) {
    if (field.hasPresence() && !message.hasField(field)) {
      return null;
    }
    Object value = message.getField(field);
    return switch (field.getJavaType()) {
      case INT -> isUnsigned(field) ? Integer.toUnsignedLong((Integer) value) : value;
      case LONG -> isUnsigned(field) ? Long.toUnsignedString((Long) value) : value;
      // Postgres text cannot hold U+0000; the payload keeps the exact value, escaped in JSON.
      case STRING -> ((String) value).replace('\u0000', '\uFFFD');
      case ENUM -> ((EnumValueDescriptor) value).getName();
      case BYTE_STRING -> ((ByteString) value).toByteArray();
      case MESSAGE -> toDate((Message) value);
      default -> value;
    };
  }

  /** A google.protobuf.Timestamp, parsed as a DynamicMessage of its own, in milliseconds. */
  private static Date toDate(Message value) {
    Descriptor timestamp = value.getDescriptorForType();
    long seconds = (Long) value.getField(timestamp.findFieldByName("seconds"));
    int nanos = (Integer) value.getField(timestamp.findFieldByName("nanos"));
    return new Date(seconds * 1000 + nanos / 1_000_000);
  }

  private static boolean isUnsigned(FieldDescriptor field) {
    return switch (field.getType()) {
      case UINT32, FIXED32, UINT64, FIXED64 -> true;
      default -> false;
    };
  }

  private static boolean isTimestamp(FieldDescriptor field) {
    return field.getMessageType().getFullName().equals("google.protobuf.Timestamp");
  }
}
