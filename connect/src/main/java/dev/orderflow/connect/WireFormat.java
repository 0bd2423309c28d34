package dev.orderflow.connect;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.connect.errors.DataException;

/**
 * The header confluent-kafka puts before a Protobuf message: magic byte 0, the schema id (4
 * bytes, big endian), then the message's path in its file as zigzag varints (a count, then
 * the indexes; a count of 0 is the common path [0] in one byte).
 */
record WireFormat(int schemaId, List<Integer> indexes, int payloadOffset) {

  static WireFormat read(byte[] record) {
    if (record.length < 6 || record[0] != 0) {
      throw new DataException("not Confluent's wire format: no magic byte 0 and schema id");
    }
    ByteBuffer buffer = ByteBuffer.wrap(record);
    buffer.get();
    int schemaId = buffer.getInt();
    try {
      int count = zigzag(varint(buffer));
      if (count < 0 || count > buffer.remaining()) {
        throw new DataException("message index count " + count + " is out of range");
      }
      List<Integer> indexes = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        indexes.add(zigzag(varint(buffer)));
      }
      return new WireFormat(schemaId, count == 0 ? List.of(0) : List.copyOf(indexes), buffer.position());
    } catch (BufferUnderflowException e) {
      throw new DataException("the message indexes end before the record's end", e);
    }
  }

  private static int varint(ByteBuffer buffer) {
    int value = 0;
    for (int shift = 0; shift < 32; shift += 7) {
      byte b = buffer.get();
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new DataException("a message index varint is longer than 5 bytes");
  }

  private static int zigzag(int encoded) {
    return (encoded >>> 1) ^ -(encoded & 1);
  }
}
