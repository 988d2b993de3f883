package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.state.PendingClip;
import io.narrator.avro.state.StoredFrame;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;

/**
 * Every record schema under {@code schemas/} has a published history whose newest version is the schema the code is
 * built with, and the current schema reads every earlier version (Avro's own compatibility check): a schema change
 * that breaks old records or old state fails here, as does one made without publishing a new version.
 */
class SchemaHistoryTest {
    /** The record schemas of the source tree (top-level types, one per file), parsed the way the build parses them. */
    static List<Schema> currentSchemas() throws Exception {
        List<Path> files;
        try (Stream<Path> all = Files.walk(Path.of("schemas"))) {
            files = all.filter(p -> p.toString().endsWith(".avsc") && !p.startsWith(Path.of("schemas", "history"))).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(9);
        List<Schema> schemas = new ArrayList<>();
        for (Path file : files) {
            String name = file.getFileName().toString().replace(".avsc", "");
            Class<?> type = Class.forName((file.getParent().endsWith("state") ? "io.narrator.avro.state." : "io.narrator.avro.") + name);
            schemas.add(SpecificData.get().getSchema(type));
        }
        return schemas;
    }

    @Test
    void everySchemaHasAHistoryEndingWithTheCurrentSchema() throws Exception {
        for (Schema current : currentSchemas()) {
            SchemaHistory history = SchemaHistory.load(current.getName());
            assertThat(history.versions()).as("versions of %s under %s%s/", current.getName(), SchemaHistory.ROOT, current.getName()).isNotEmpty();
            Schema newest = history.versions().get(history.versions().size() - 1);
            assertThat(SchemaNormalization.toParsingForm(newest))
                    .as("the newest published %s is the schema the code is built with: publish schemas/history/%s/v%d.avsc",
                            current.getName(), current.getName(), history.versions().size() + 1)
                    .isEqualTo(SchemaNormalization.toParsingForm(current));
        }
    }

    @Test
    void theCurrentSchemaReadsEveryPublishedVersion() throws Exception {
        for (Schema current : currentSchemas()) {
            List<Schema> versions = SchemaHistory.load(current.getName()).versions();
            for (int v = 0; v < versions.size(); v++) {
                var result = SchemaCompatibility.checkReaderWriterCompatibility(current, versions.get(v));
                assertThat(result.getType()).as("%s v%d read by the current schema: %s", current.getName(), v + 1, result.getDescription())
                        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
                if (v > 0)
                    assertThat(SchemaNormalization.parsingFingerprint64(versions.get(v)))
                            .as("%s v%d differs from v%d", current.getName(), v + 1, v)
                            .isNotEqualTo(SchemaNormalization.parsingFingerprint64(versions.get(v - 1)));
            }
            assertThat(AvroSerde.of(castRecord(current)).readableVersions()).isEqualTo(versions.size());
        }
    }

    @SuppressWarnings("unchecked")
    private static Class<org.apache.avro.specific.SpecificRecordBase> castRecord(Schema schema) throws ClassNotFoundException {
        return (Class<org.apache.avro.specific.SpecificRecordBase>) Class.forName(schema.getFullName());
    }

    /** A record written by the first release: a stored frame with its features, before frames could keep their image. */
    static byte[] storedFrameV1(long micros, byte[] features) {
        Schema v1 = SchemaHistory.load("StoredFrame").versions().get(0);
        return encode(v1, storedFrameV1Record(v1, micros, features));
    }

    private static GenericRecord storedFrameV1Record(Schema v1, long micros, byte[] features) {
        GenericRecord r = new GenericData.Record(v1);
        r.put("timestampMicros", micros);
        r.put("sequence", 7L);
        r.put("features", ByteBuffer.wrap(features));
        r.put("decodeMicros", 11L);
        r.put("visionMicros", 13L);
        return r;
    }

    /** A pending clip written by the first release, its frames as features. */
    static byte[] pendingClipV1(String stream, long clipIndex, long startMicros, long endMicros, List<byte[]> features, long closedAtMillis) {
        Schema v1 = SchemaHistory.load("PendingClip").versions().get(0);
        Schema frame = v1.getField("frames").schema().getElementType();
        List<GenericRecord> frames = new ArrayList<>();
        for (int i = 0; i < features.size(); i++) frames.add(storedFrameV1Record(frame, startMicros + i * 1_000_000L, features.get(i)));
        GenericRecord r = new GenericData.Record(v1);
        r.put("streamId", stream);
        r.put("clipIndex", clipIndex);
        r.put("windowStartMicros", startMicros);
        r.put("windowEndMicros", endMicros);
        r.put("frames", new GenericData.Array<>(v1.getField("frames").schema(), frames));
        r.put("previousCaption", null);
        r.put("closedAtMillis", closedAtMillis);
        return encode(v1, r);
    }

    private static byte[] encode(Schema writer, GenericRecord record) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new BinaryMessageEncoder<GenericRecord>(GenericData.get(), writer).encode(record, out);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void stateWrittenWithThePreviousVersionIsRead() {
        StoredFrame frame = AvroSerde.of(StoredFrame.class).decode(storedFrameV1(2_000_000, new byte[] {1, 2, 3}));
        assertThat(frame.getTimestampMicros()).isEqualTo(2_000_000);
        assertThat(frame.getFeatures()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(frame.getImage()).isNull();
        assertThat(frame.getVisionMicros()).isEqualTo(13L);

        PendingClip clip = AvroSerde.of(PendingClip.class).decode(pendingClipV1("cam", 4, 0, 2_000_000, List.of(new byte[] {9}, new byte[] {8}), 1_700_000_000_000L));
        assertThat(clip.getClipIndex()).isEqualTo(4);
        assertThat(clip.getFrames()).extracting(StoredFrame::getTimestampMicros).containsExactly(0L, 1_000_000L);
        assertThat(clip.getFrames()).extracting(StoredFrame::getFeatures).containsExactly(ByteBuffer.wrap(new byte[] {9}), ByteBuffer.wrap(new byte[] {8}));
        assertThat(clip.getFrames()).extracting(StoredFrame::getImage).containsOnlyNulls();
    }
}
