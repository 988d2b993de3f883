package io.narrator.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * Every published version of one record schema, oldest first: the files {@code schemas/history/<Name>/v1.avsc},
 * {@code v2.avsc}, ... (each self-contained, nested types written out) on the class path. A writer of any of these
 * versions is readable with the current schema ({@link AvroSerde} resolves it; {@code SchemaHistoryTest} checks
 * that each version can be read and that the newest is the schema the code is built with).
 */
public record SchemaHistory(String name, List<Schema> versions) {
    /** Where the versions of record {@code <Name>} live, on the class path and in the source tree. */
    public static final String ROOT = "schemas/history/";

    public SchemaHistory {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("schema name must not be blank");
        versions = List.copyOf(versions);
    }

    /** The history of the record named {@code name} (simple name, e.g. {@code VideoFrame}); empty when none is published. */
    public static SchemaHistory load(String name) {
        List<Schema> versions = new ArrayList<>();
        ClassLoader loader = SchemaHistory.class.getClassLoader();
        for (int v = 1; ; v++) {
            String resource = ROOT + name + "/v" + v + ".avsc";
            try (InputStream in = loader.getResourceAsStream(resource)) {
                if (in == null) break;
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read schema " + resource + ": " + e.getMessage(), e);
            } catch (SchemaParseException e) {
                throw new IllegalStateException("schema " + resource + " is not a valid Avro schema: " + e.getMessage(), e);
            }
        }
        return new SchemaHistory(name, versions);
    }
}
