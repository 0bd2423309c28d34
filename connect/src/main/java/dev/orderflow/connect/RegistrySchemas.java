package dev.orderflow.connect;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.AnyProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DurationProto;
import com.google.protobuf.EmptyProto;
import com.google.protobuf.FieldMaskProto;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StructProto;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WrappersProto;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;

/**
 * Schemas from the registry's Confluent-compatible API, cached by id (an id's schema never
 * changes). confluent-kafka registers a file as a base64 serialized FileDescriptorProto and
 * Apicurio returns it as stored; asking for format=serialized would make Apicurio 3.3 answer
 * 500. orderflow's events import only Google's well-known types, which protobuf-java carries.
 */
final class RegistrySchemas implements SchemaSource {
  private static final Map<String, FileDescriptor> WELL_KNOWN =
      Stream.of(
              TimestampProto.getDescriptor(),
              DurationProto.getDescriptor(),
              StructProto.getDescriptor(),
              WrappersProto.getDescriptor(),
              AnyProto.getDescriptor(),
              EmptyProto.getDescriptor(),
              FieldMaskProto.getDescriptor())
          .collect(Collectors.toMap(FileDescriptor::getName, f -> f));

  private final URI base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<Integer, FileDescriptor> files = new ConcurrentHashMap<>();

  RegistrySchemas(URI base) {
    this.base = base;
  }

  @Override
  public FileDescriptor file(int schemaId) {
    return files.computeIfAbsent(schemaId, this::fetch);
  }

  @Override
  public OptionalInt latestId(String subject) {
    JsonObject body = get("/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8) + "/versions/latest");
    return body == null ? OptionalInt.empty() : OptionalInt.of(body.get("id").getAsInt());
  }

  private FileDescriptor fetch(int schemaId) {
    JsonObject body = get("/schemas/ids/" + schemaId);
    if (body == null) {
      throw new DataException("registry has no schema " + schemaId);
    }
    if (!body.has("schemaType") || !"PROTOBUF".equals(body.get("schemaType").getAsString())) {
      throw new DataException("schema " + schemaId + " is not Protobuf");
    }
    try {
      return build(FileDescriptorProto.parseFrom(Base64.getDecoder().decode(body.get("schema").getAsString())));
    } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
      throw new DataException("schema " + schemaId + " is not a base64 serialized FileDescriptorProto", e);
    }
  }

  /** The registry's answer, or null when it has no such thing (404). */
  private JsonObject get(String path) {
    HttpResponse<String> response;
    try {
      response =
          http.send(
              HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      // Retriable: the worker retries (errors.retry.timeout) before it parks the record, so a
      // registry outage does not send good records to the dead letter topic.
      throw new RetriableException("registry unreachable: " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetriableException("interrupted asking the registry for " + path, e);
    }
    if (response.statusCode() >= 500) {
      throw new RetriableException("registry answered " + response.statusCode() + " for " + path);
    }
    if (response.statusCode() == 404) {
      return null;
    }
    if (response.statusCode() != 200) {
      throw new DataException("registry answered " + response.statusCode() + " for " + path);
    }
    return JsonParser.parseString(response.body()).getAsJsonObject();
  }

  static FileDescriptor build(FileDescriptorProto file) {
    FileDescriptor[] imports = new FileDescriptor[file.getDependencyCount()];
    for (int i = 0; i < imports.length; i++) {
      imports[i] = WELL_KNOWN.get(file.getDependency(i));
      if (imports[i] == null) {
        throw new DataException(file.getName() + " imports " + file.getDependency(i) + ", not a well-known type");
      }
    }
    try {
      return FileDescriptor.buildFrom(file, imports);
    } catch (DescriptorValidationException e) {
      throw new DataException(file.getName() + " does not build: " + e.getMessage(), e);
    }
  }
}
