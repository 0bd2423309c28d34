package dev.orderflow.connect;

import com.google.protobuf.Descriptors.FileDescriptor;
import java.util.OptionalInt;

/** Protobuf files from the registry. */
interface SchemaSource {
  /** The file a schema id stands for. */
  FileDescriptor file(int schemaId);

  /** The id of a subject's latest version, if the subject exists. */
  OptionalInt latestId(String subject);
}
