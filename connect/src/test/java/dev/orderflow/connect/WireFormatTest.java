package dev.orderflow.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

class WireFormatTest {
  @Test
  void aSingleZeroByteIsTheFirstMessage() {
    WireFormat header = WireFormat.read(new byte[] {0, 0, 0, 1, 7, 0, 10, 1, 'x'});
    assertEquals(263, header.schemaId());
    assertEquals(List.of(0), header.indexes());
    assertEquals(6, header.payloadOffset());
  }

  @Test
  void indexesAreZigzagVarintsAfterTheirCount() {
    // Count 2, then [1, 3]: zigzag doubles non-negative numbers.
    WireFormat header = WireFormat.read(new byte[] {0, 0, 0, 0, 5, 4, 2, 6, 10});
    assertEquals(List.of(1, 3), header.indexes());
    assertEquals(8, header.payloadOffset());
  }

  @Test
  void recordsWithoutTheMagicByteOrCutShortAreRefused() {
    assertThrows(DataException.class, () -> WireFormat.read("not protobuf".getBytes()));
    assertThrows(DataException.class, () -> WireFormat.read(new byte[] {0, 0, 0, 1}));
    // Count 3 with one index present.
    assertThrows(DataException.class, () -> WireFormat.read(new byte[] {0, 0, 0, 0, 1, 6, 2}));
  }
}
