package io.narrator.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.model.checkpoint.Unpickler.Tuple;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The unpickler on pickles of plain Python values written by CPython (make_pickle_fixtures.py), and on broken ones. */
class UnpicklerTest {
    private static Object load(byte[] pickle) throws CheckpointException {
        return Unpickler.load(new Unpickler.Input(new ByteArrayInputStream(pickle), "test.pkl", "pickle", 0, pickle.length),
                (pid, at) -> {
                    throw at.error("no persistent ids here");
                });
    }

    private static Object load(String fixture) throws Exception {
        return load(Files.readAllBytes(TorchCheckpointTest.fixtures().resolve(fixture)));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 5})
    void everyPlainValueComesOutAsData(int protocol) throws Exception {
        Map<?, ?> v = (Map<?, ?>) load("values_protocol" + protocol + ".pkl");
        assertThat(v.get("none")).isNull();
        assertThat(v.containsKey("none")).isTrue();
        assertThat(v.get("true")).isEqualTo(true);
        assertThat(v.get("false")).isEqualTo(false);
        assertThat(v.get("small")).isEqualTo(7L);
        assertThat(v.get("negative")).isEqualTo(-300L);
        assertThat(v.get("int32")).isEqualTo((long) Integer.MIN_VALUE);
        assertThat(v.get("big")).isEqualTo(BigInteger.TWO.pow(70));
        assertThat(v.get("float")).isEqualTo(0.1);
        assertThat(v.get("text")).isEqualTo("héllo");
        assertThat((byte[]) v.get("bytes")).containsExactly(0, 0xff);
        assertThat(v.get("tuple")).isEqualTo(new Tuple(Arrays.asList(1L, "two", null)));
        assertThat(v.get("list")).isEqualTo(List.of(1L, List.of(2L, 3L), Map.of("k", "v")));
        assertThat(v.get("set")).isEqualTo(Set.of(4L));
        assertThat(v.get("frozen")).isEqualTo(Set.of(5L));
        assertThat(v.get(3L)).isEqualTo("int key");
        assertThat(v).hasSize(15);
    }

    @Test
    void anythingButDataIsRefused() {
        assertThatThrownBy(() -> load("object.pkl"))
                .hasMessage("refusing to load __main__.Tiny from test.pkl: only tensors and state dicts are read");
        assertThatThrownBy(() -> load("values_protocol0.pkl"))
                .hasMessage("test.pkl: pickle at byte 2: unsupported pickle opcode PUT (text protocol) (0x70): only the binary opcodes "
                        + "torch.save writes are read");
    }

    @Test
    void brokenPicklesNameTheByte() {
        // PROTO 2, BINGET 5 (never stored)
        assertThatThrownBy(() -> load(new byte[] {(byte) 0x80, 2, 'h', 5, '.'}))
                .hasMessage("test.pkl: pickle at byte 4: corrupt pickle: memo entry 5 was never stored");
        // PROTO 2, STOP on an empty stack
        assertThatThrownBy(() -> load(new byte[] {(byte) 0x80, 2, '.'}))
                .hasMessage("test.pkl: pickle at byte 3: corrupt pickle: pops an empty stack");
        // BINUNICODE announcing 1000 bytes of which 2 are there
        assertThatThrownBy(() -> load(new byte[] {(byte) 0x80, 2, 'X', (byte) 0xe8, 3, 0, 0, 'a', 'b'}))
                .hasMessage("test.pkl: pickle at byte 7: truncated or corrupt: 1000 bytes announced but 2 remain");
        // no STOP
        assertThatThrownBy(() -> load(new byte[] {(byte) 0x80, 2, 'N'}))
                .hasMessage("test.pkl: pickle at byte 3: truncated: the pickle ends before its STOP opcode");
        // INST builds an arbitrary object
        assertThatThrownBy(() -> load(new byte[] {(byte) 0x80, 2, '(', 'i'}))
                .hasMessage("test.pkl: pickle at byte 3: unsupported pickle opcode INST (0x69): only the binary opcodes torch.save "
                        + "writes are read");
        // SETITEM on a list
        assertThatThrownBy(() -> load(new byte[] {(byte) 0x80, 2, ']', 'N', 'N', 's', '.'}))
                .hasMessage("test.pkl: pickle at byte 6: corrupt pickle: sets an item of a list");
        // a call of an allowed type marker (torch.FloatStorage()) is not a function call that builds anything
        byte[] callStorage = concat(new byte[] {(byte) 0x80, 2, 'c'}, "torch\nFloatStorage\n".getBytes(), new byte[] {')', 'R', '.'});
        assertThatThrownBy(() -> load(callStorage))
                .hasMessage("test.pkl: pickle at byte 24: corrupt pickle: calls torch.FloatStorage, which is not a function");
        // the allowlist checks module and name together: a name from the list under another module is still refused
        byte[] spoof = concat(new byte[] {(byte) 0x80, 2, 'c'}, "os\nOrderedDict\n".getBytes(), new byte[] {'.'});
        assertThatThrownBy(() -> load(spoof)).hasMessage("refusing to load os.OrderedDict from test.pkl: only tensors and state dicts are read");
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
