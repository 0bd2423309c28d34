package dev.orderflow.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Timestamp;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against a registry on a local port that answers as Apicurio's ccompat API does. */
class ProtobufConverterTest {
  // OrderItem comes first, so OrderCreated is at index path [1], as in orderflow's file.
  // Version 2 (schema 43) added currency to version 1 (schema 42).
  private static final FileDescriptorProto V1 = events(false);
  private static final FileDescriptorProto V2 = events(true);
  private static final Descriptor ORDER_CREATED = RegistrySchemas.build(V2).getMessageTypes().get(1);
  private static final Descriptor ORDER_CREATED_V1 = RegistrySchemas.build(V1).getMessageTypes().get(1);

  private HttpServer registry;
  private int status = 200;
  private ProtobufConverter converter;

  @BeforeEach
  void start() throws IOException {
    registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    registry.createContext(
        "/apis/ccompat/v7/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          FileDescriptorProto file = path.endsWith("/ids/42") ? V1 : V2;
          String body =
              path.endsWith("/versions/latest")
                  ? "{\"subject\":\"orders.created-value\",\"version\":2,\"id\":43}"
                  : "{\"schema\":\"" + Base64.getEncoder().encodeToString(file.toByteArray())
                      + "\",\"schemaType\":\"PROTOBUF\",\"references\":[]}";
          boolean known = path.endsWith("/ids/42") || path.endsWith("/ids/43")
              || path.endsWith("/subjects/orders.created-value/versions/latest");
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(known ? status : 404, bytes.length);
          exchange.getResponseBody().write(bytes);
          exchange.close();
        });
    registry.start();
    converter = new ProtobufConverter();
    converter.configure(
        Map.of(ProtobufConverter.REGISTRY_URL, "http://127.0.0.1:" + registry.getAddress().getPort() + "/apis/ccompat/v7/"),
        false);
  }

  @AfterEach
  void stop() {
    registry.stop(0);
  }

  @Test
  void anOrderCreatedBecomesARowWithColumnsAndItsJson() {
    DynamicMessage order =
        DynamicMessage.newBuilder(ORDER_CREATED)
            .setField(ORDER_CREATED.findFieldByName("order_id"), "o-1")
            .setField(ORDER_CREATED.findFieldByName("total_cents"), 500L)
            .setField(ORDER_CREATED.findFieldByName("currency"), "EUR")
            .setField(
                ORDER_CREATED.findFieldByName("created_at"),
                Timestamp.newBuilder().setSeconds(1_700_000_000).setNanos(250_000_000).build())
            .addRepeatedField(
                ORDER_CREATED.findFieldByName("items"),
                DynamicMessage.newBuilder(ORDER_CREATED.getFile().getMessageTypes().get(0))
                    .setField(ORDER_CREATED.getFile().getMessageTypes().get(0).findFieldByName("sku"), "SKU-1")
                    .build())
            .build();

    SchemaAndValue converted = converter.toConnectData("orders.created", record(43, new byte[] {2, 2}, order));

    Struct row = (Struct) converted.value();
    assertEquals("orderflow.order.v1.OrderCreated", row.get("event_type"));
    assertEquals(43, row.get("schema_id"));
    assertEquals("o-1", row.get("order_id"));
    assertEquals(500L, row.get("total_cents"));
    assertEquals("EUR", row.get("currency"));
    assertEquals(new Date(1_700_000_000_250L), row.get("created_at"));
    assertNull(converted.schema().field("items"), "repeated fields stay in the payload");
    assertTrue(row.getString("payload").contains("\"items\":[{\"sku\":\"SKU-1\"}]"), row.getString("payload"));
  }

  @Test
  void aVersion1EventMakesARowOfTheLatestShapeWithoutItsNewFields() {
    DynamicMessage v1 =
        DynamicMessage.newBuilder(ORDER_CREATED_V1).setField(ORDER_CREATED_V1.findFieldByName("order_id"), "o-1").build();
    DynamicMessage v2 = DynamicMessage.newBuilder(ORDER_CREATED).setField(ORDER_CREATED.findFieldByName("currency"), "EUR").build();

    SchemaAndValue old = converter.toConnectData("orders.created", record(42, new byte[] {2, 2}, v1));
    SchemaAndValue latest = converter.toConnectData("orders.created", record(43, new byte[] {2, 2}, v2));

    assertEquals(latest.schema(), old.schema(), "one table shape for every version");
    assertNull(((Struct) old.value()).get("currency"));
    assertEquals(42, ((Struct) old.value()).get("schema_id"));
    assertEquals("o-1", ((Struct) old.value()).get("order_id"));
    // A topic without a subject of its name is read with the writer's schema alone.
    Struct elsewhere = (Struct) converter.toConnectData("other", record(42, new byte[] {2, 2}, v1)).value();
    assertNull(elsewhere.schema().field("currency"));
  }

  @Test
  void aNulCharacterIsReplacedInItsColumnAndKeptInThePayload() {
    DynamicMessage order =
        DynamicMessage.newBuilder(ORDER_CREATED).setField(ORDER_CREATED.findFieldByName("order_id"), "o\u00001").build();

    Struct row = (Struct) converter.toConnectData("orders.created", record(43, new byte[] {2, 2}, order)).value();

    assertEquals("o\uFFFD1", row.get("order_id"));
    assertTrue(row.getString("payload").contains("o\\u00001"), row.getString("payload"));
  }

  @Test
  void unreadableRecordsAreDataErrorsAndATombstoneStaysNull() {
    byte[] valid = record(42, new byte[] {2, 2}, DynamicMessage.newBuilder(ORDER_CREATED).build());
    assertEquals(SchemaAndValue.NULL, converter.toConnectData("orders.created", null));
    assertThrows(DataException.class, () -> converter.toConnectData("t", "not protobuf".getBytes()));
    assertThrows(DataException.class, () -> converter.toConnectData("t", record(7, new byte[] {0}, null)));
    assertThrows(DataException.class, () -> converter.toConnectData("t", record(42, new byte[] {2, 14}, null)));
    // A length-delimited field (order_id) announced 100 bytes long, with none after it.
    assertThrows(DataException.class, () -> converter.toConnectData("t", concat(valid, new byte[] {10, 100})));
  }

  @Test
  void aRegistryFailureIsRetriableNotAPoisonRecord() {
    status = 503;
    byte[] valid = record(42, new byte[] {0}, null);
    assertThrows(RetriableException.class, () -> converter.toConnectData("t", valid));
  }

  private static FileDescriptorProto events(boolean withCurrency) {
    DescriptorProto.Builder orderCreated =
        DescriptorProto.newBuilder()
            .setName("OrderCreated")
            .addField(field("order_id", 1, Type.TYPE_STRING))
            .addField(
                field("items", 3, Type.TYPE_MESSAGE)
                    .setLabel(Label.LABEL_REPEATED)
                    .setTypeName(".orderflow.order.v1.OrderItem"))
            .addField(field("total_cents", 4, Type.TYPE_INT64))
            .addField(field("created_at", 6, Type.TYPE_MESSAGE).setTypeName(".google.protobuf.Timestamp"));
    if (withCurrency) {
      orderCreated.addField(field("currency", 7, Type.TYPE_STRING));
    }
    return FileDescriptorProto.newBuilder()
        .setName("orderflow/order/v1/events.proto")
        .setPackage("orderflow.order.v1")
        .setSyntax("proto3")
        .addDependency("google/protobuf/timestamp.proto")
        .addMessageType(DescriptorProto.newBuilder().setName("OrderItem").addField(field("sku", 1, Type.TYPE_STRING)))
        .addMessageType(orderCreated)
        .build();
  }

  private static FieldDescriptorProto.Builder field(String name, int number, Type type) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type).setLabel(Label.LABEL_OPTIONAL);
  }

  private static byte[] record(int schemaId, byte[] indexes, DynamicMessage message) {
    byte[] header = {0, (byte) (schemaId >>> 24), (byte) (schemaId >>> 16), (byte) (schemaId >>> 8), (byte) schemaId};
    return concat(concat(header, indexes), message == null ? new byte[0] : message.toByteArray());
  }

  private static byte[] concat(byte[] first, byte[] second) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(first);
    out.writeBytes(second);
    return out.toByteArray();
  }
}
