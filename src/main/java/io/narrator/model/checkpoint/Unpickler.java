package io.narrator.model.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader that builds data and never runs code. It knows Python's binary opcodes (protocols 2 to 5) for
 * None, bools, integers, floats, strings, bytes, tuples, lists, dicts and sets, and exactly the globals a PyTorch
 * state dict is made of: {@code collections.OrderedDict}, the tensor and parameter rebuild functions of
 * {@code torch._utils} (and {@code torch._tensor._rebuild_from_type_v2} wrapping them), the {@code torch.*Storage}
 * classes and the {@code torch.Tensor} / {@code torch.nn.parameter.Parameter} types. These become inert Java values
 * ({@link Global}, {@link StorageType}, {@link PickledTensor}); any other global is refused by name before anything
 * else happens, as are the opcodes that build arbitrary objects ({@code INST}, {@code OBJ}, {@code NEWOBJ_EX}, the
 * extension registry). Python values map to null, {@link Boolean}, {@link Long} (or {@link BigInteger}),
 * {@link Double}, {@link String}, {@code byte[]}, {@link Tuple}, {@link List}, {@link Map} and {@link Set}.
 *
 * <p>Persistent ids (how {@code torch.save} refers to storages outside the pickle) go to the caller's
 * {@link PersistentLoader}.
 */
final class Unpickler {
    /** The globals a state dict uses; each is a marker, and calling it builds data (see {@link #call}). */
    enum Global {
        ORDERED_DICT("collections.OrderedDict"),
        REBUILD_TENSOR_V2("torch._utils._rebuild_tensor_v2"),
        REBUILD_TENSOR("torch._utils._rebuild_tensor"),
        REBUILD_PARAMETER("torch._utils._rebuild_parameter"),
        REBUILD_PARAMETER_WITH_STATE("torch._utils._rebuild_parameter_with_state"),
        REBUILD_FROM_TYPE_V2("torch._tensor._rebuild_from_type_v2"),
        CODECS_ENCODE("_codecs.encode"),
        SET("builtins.set"),
        FROZENSET("builtins.frozenset"),
        TENSOR_TYPE("torch.Tensor"),
        PARAMETER_TYPE("torch.nn.parameter.Parameter");

        final String qualifiedName;

        Global(String qualifiedName) {
            this.qualifiedName = qualifiedName;
        }
    }

    /** A {@code torch.*Storage} class: its name, and the element type it holds (null when not one that is read). */
    record StorageType(String name, DType dtype) {}

    /** A Python tuple (its items may be null, for None). */
    record Tuple(List<Object> items) {
        Tuple {
            items = Collections.unmodifiableList(new ArrayList<>(items));
        }

        int size() {
            return items.size();
        }

        Object get(int i) {
            return items.get(i);
        }
    }

    /** A tensor as the pickle describes it: a storage (what the persistent loader returned) viewed at an offset. */
    record PickledTensor(Object storage, long offset, long[] shape, long[] stride) {}

    /** Resolves a persistent id — for {@code torch.save}, a {@code ('storage', type, key, location, numel)} tuple. */
    @FunctionalInterface
    interface PersistentLoader {
        Object load(Object pid, Input at) throws CheckpointException;
    }

    /** The bytes of one or more consecutive pickles, with the position used in messages. */
    static final class Input {
        private final InputStream in;
        private final String file;
        private final String part;
        private final long end;
        private long position;

        /**
         * @param file the checkpoint file, for messages
         * @param part what the bytes are within it ({@code data.pkl}), for messages; positions count from {@code start}
         * @param end the position after the last byte that may be read
         */
        Input(InputStream in, String file, String part, long start, long end) {
            this.in = in;
            this.file = file;
            this.part = part;
            this.position = start;
            this.end = end;
        }

        long position() {
            return position;
        }

        String file() {
            return file;
        }

        CheckpointException error(String message) {
            return errorAt(position, message);
        }

        CheckpointException errorAt(long at, String message) {
            return new CheckpointException(file + ": " + part + " at byte " + at + ": " + message);
        }

        int read() throws CheckpointException {
            if (position >= end) throw error("truncated: the pickle ends before its STOP opcode");
            try {
                int b = in.read();
                if (b < 0) throw error("truncated: the pickle ends before its STOP opcode");
                position++;
                return b;
            } catch (IOException e) {
                throw error("cannot read: " + e.getMessage());
            }
        }

        byte[] read(long n) throws CheckpointException {
            if (n < 0 || n > end - position)
                throw error("truncated or corrupt: " + n + " bytes announced but " + (end - position) + " remain");
            if (n > Integer.MAX_VALUE - 8) throw error("a value of " + n + " bytes: more than a pickle of a state dict holds");
            byte[] out;
            try {
                // read what is there, not what a corrupt length announces: a lying length fails at the data's end
                out = in.readNBytes((int) n);
            } catch (IOException e) {
                throw error("cannot read: " + e.getMessage());
            }
            if (out.length < n) throw error("truncated: " + n + " bytes announced but the data ends after " + out.length);
            position += n;
            return out;
        }

        long readLittleEndian(int bytes) throws CheckpointException {
            byte[] b = read(bytes);
            long v = 0;
            for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | (b[i] & 0xff);
            return v;
        }

        String readLine() throws CheckpointException {
            StringBuilder sb = new StringBuilder();
            for (int c = read(); c != '\n'; c = read()) {
                if (sb.length() > 1000) throw error("a text line of over 1000 bytes in a GLOBAL opcode");
                sb.append((char) c);
            }
            return sb.toString();
        }
    }

    private static final Object MARK = new Object() {
        @Override
        public String toString() {
            return "MARK";
        }
    };

    private final Input in;
    private final PersistentLoader loader;
    private final List<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private Unpickler(Input in, PersistentLoader loader) {
        this.in = in;
        this.loader = loader;
    }

    /** Reads one pickle (up to and including its STOP) and returns its value. */
    static Object load(Input in, PersistentLoader loader) throws CheckpointException {
        return new Unpickler(in, loader).run();
    }

    private Object run() throws CheckpointException {
        while (true) {
            int op = in.read();
            switch (op) {
                case 0x80 -> { // PROTO
                    int version = in.read();
                    if (version > 5) throw in.error("pickle protocol " + version + " is newer than 5");
                }
                case 0x95 -> in.read(8); // FRAME: a length hint only
                case '.' -> { // STOP
                    Object result = pop();
                    if (!stack.isEmpty() || !marks.isEmpty()) throw in.error("corrupt pickle: values left on the stack at STOP");
                    return result;
                }
                case '(' -> { // MARK
                    marks.push(stack.size());
                    stack.add(MARK);
                }
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) (int) in.readLittleEndian(4)); // BININT
                case 'K' -> push(in.readLittleEndian(1)); // BININT1
                case 'M' -> push(in.readLittleEndian(2)); // BININT2
                case 0x8a -> push(longOf(in.read(in.readLittleEndian(1)))); // LONG1
                case 0x8b -> push(longOf(in.read(length(in.readLittleEndian(4))))); // LONG4
                case 'G' -> push(ByteBuffer.wrap(in.read(8)).order(ByteOrder.BIG_ENDIAN).getDouble()); // BINFLOAT
                case 'X' -> push(utf8(in.read(in.readLittleEndian(4)))); // BINUNICODE
                case 0x8c -> push(utf8(in.read(in.readLittleEndian(1)))); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(in.read(length(in.readLittleEndian(8))))); // BINUNICODE8
                case 'T' -> push(utf8(in.read(in.readLittleEndian(4)))); // BINSTRING (Python 2 str)
                case 'U' -> push(utf8(in.read(in.readLittleEndian(1)))); // SHORT_BINSTRING
                case 'B' -> push(in.read(in.readLittleEndian(4))); // BINBYTES
                case 'C' -> push(in.read(in.readLittleEndian(1))); // SHORT_BINBYTES
                case 0x8e -> push(in.read(length(in.readLittleEndian(8)))); // BINBYTES8
                case ')' -> push(new Tuple(List.of()));
                case 't' -> push(new Tuple(popMark()));
                case 0x85 -> push(new Tuple(popN(1)));
                case 0x86 -> push(new Tuple(popN(2)));
                case 0x87 -> push(new Tuple(popN(3)));
                case ']' -> push(new ArrayList<>());
                case 'l' -> push(new ArrayList<>(popMark())); // LIST
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case '}' -> push(new LinkedHashMap<>());
                case 'd' -> { // DICT
                    Map<Object, Object> d = new LinkedHashMap<>();
                    putPairs(d, popMark());
                    push(d);
                }
                case 's' -> { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    dict(peek()).put(k, v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    putPairs(dict(peek()), items);
                }
                case 0x8f -> push(new LinkedHashSet<>()); // EMPTY_SET
                case 0x90 -> { // ADDITEMS
                    List<Object> items = popMark();
                    set(peek()).addAll(items);
                }
                case 0x91 -> push(Collections.unmodifiableSet(new LinkedHashSet<>(popMark()))); // FROZENSET
                case 'c' -> { // GLOBAL
                    String module = in.readLine();
                    String name = in.readLine();
                    push(global(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n))
                        throw in.error("corrupt pickle: STACK_GLOBAL needs two strings");
                    push(global(m, n));
                }
                case 'R', 0x81 -> { // REDUCE, NEWOBJ: callable(*args)
                    Object args = pop();
                    Object callable = pop();
                    if (!(args instanceof Tuple t)) throw in.error("corrupt pickle: arguments of a call are not a tuple");
                    push(call(callable, t));
                }
                case 'b' -> { // BUILD: sets an object's state
                    Object state = pop();
                    build(peek(), state);
                }
                case 'Q' -> push(loader.load(pop(), in)); // BINPERSID
                case 'q' -> memo.put(in.readLittleEndian(1), peek()); // BINPUT
                case 'r' -> memo.put(in.readLittleEndian(4), peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memo(in.readLittleEndian(1))); // BINGET
                case 'j' -> push(memo(in.readLittleEndian(4))); // LONG_BINGET
                default -> throw unsupported(op);
            }
        }
    }

    /** The allowlist: a marker for each global a state dict uses; anything else is refused by name. */
    private Object global(String module, String name) throws CheckpointException {
        String qualified = module + "." + name;
        for (Global g : Global.values()) if (g.qualifiedName.equals(qualified)) return g;
        if (qualified.equals("torch._tensor.Tensor")) return Global.TENSOR_TYPE;
        if (qualified.equals("__builtin__.set")) return Global.SET; // Python 2 names, written by protocol 2
        if (qualified.equals("__builtin__.frozenset")) return Global.FROZENSET;
        if (module.equals("torch") && name.endsWith("Storage") && name.matches("[A-Za-z0-9]+"))
            return new StorageType("torch." + name, DType.ofTorchStorage(name));
        throw new CheckpointException("refusing to load " + qualified + " from " + in.file()
                + ": only tensors and state dicts are read");
    }

    /** What calling an allowed global builds; everything else is not callable. */
    private Object call(Object callable, Tuple args) throws CheckpointException {
        if (!(callable instanceof Global g))
            throw in.error("corrupt pickle: calls " + describe(callable) + ", which is not a function");
        switch (g) {
            case ORDERED_DICT -> {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
                    for (Object pair : pairs) {
                        if (!(pair instanceof Tuple p) || p.size() != 2) throw in.error("corrupt pickle: OrderedDict item is not a pair");
                        d.put(p.get(0), p.get(1));
                    }
                } else if (args.size() != 0) {
                    throw in.error("corrupt pickle: OrderedDict called with " + args.size() + " arguments");
                }
                return d;
            }
            case CODECS_ENCODE -> {
                // (text, encoding): how protocol 2 writes a bytes object, as the latin-1 text of its bytes
                if (args.size() != 2 || !(args.get(0) instanceof String text) || !(args.get(1) instanceof String encoding))
                    throw in.error("corrupt pickle: _codecs.encode takes a text and an encoding");
                return switch (encoding) {
                    case "latin1", "latin-1", "iso-8859-1" -> text.getBytes(StandardCharsets.ISO_8859_1);
                    case "utf-8", "utf8" -> text.getBytes(StandardCharsets.UTF_8);
                    default -> throw in.error("_codecs.encode to " + encoding + ": only latin-1 and utf-8 are read");
                };
            }
            case SET, FROZENSET -> {
                Set<Object> items = new LinkedHashSet<>();
                if (args.size() == 1 && args.get(0) instanceof List<?> list) items.addAll(list);
                else if (args.size() != 0) throw in.error("corrupt pickle: " + g.qualifiedName + " takes one list");
                return g == Global.SET ? items : Collections.unmodifiableSet(items);
            }
            case REBUILD_TENSOR_V2 -> {
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (args.size() != 6 && args.size() != 7)
                    throw in.error("corrupt pickle: _rebuild_tensor_v2 takes 6 or 7 arguments, got " + args.size());
                if (!(args.get(5) instanceof Map<?, ?> hooks) || !hooks.isEmpty())
                    throw in.error("a tensor with backward hooks: only plain tensors are read");
                if (args.size() == 7 && args.get(6) != null && !(args.get(6) instanceof Map<?, ?> m && m.isEmpty()))
                    throw in.error("a tensor with metadata " + describe(args.get(6)) + " (a negated or conjugated view): only plain tensors are read");
                return tensor(args);
            }
            case REBUILD_TENSOR -> {
                if (args.size() != 4) throw in.error("corrupt pickle: _rebuild_tensor takes 4 arguments, got " + args.size());
                return tensor(args);
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                // (data, requires_grad, backward_hooks[, state])
                int expected = g == Global.REBUILD_PARAMETER ? 3 : 4;
                if (args.size() != expected || !(args.get(0) instanceof PickledTensor t))
                    throw in.error("corrupt pickle: " + g.qualifiedName + " takes a tensor and " + (expected - 1) + " more arguments");
                return t;
            }
            case REBUILD_FROM_TYPE_V2 -> {
                // (func, new_type, args, state): func(*args), then made an instance of new_type
                if (args.size() != 4 || !(args.get(2) instanceof Tuple inner))
                    throw in.error("corrupt pickle: _rebuild_from_type_v2 takes (func, type, args, state)");
                if (args.get(1) != Global.TENSOR_TYPE && args.get(1) != Global.PARAMETER_TYPE)
                    throw in.error("a tensor of type " + describe(args.get(1)) + ": only torch.Tensor and Parameter are read");
                Object state = args.get(3);
                if (state != null && !(state instanceof Map<?, ?> m && m.isEmpty()))
                    throw in.error("a tensor subclass with state " + describe(state) + ": only plain tensors are read");
                return call(args.get(0), inner);
            }
            default -> throw in.error("corrupt pickle: calls " + g.qualifiedName + ", which is a type, not a function");
        }
    }

    private PickledTensor tensor(Tuple args) throws CheckpointException {
        if (!(args.get(1) instanceof Long offset)) throw in.error("corrupt pickle: a tensor's storage offset is not an integer");
        return new PickledTensor(args.get(0), offset, longs(args.get(2), "size"), longs(args.get(3), "stride"));
    }

    private long[] longs(Object tuple, String what) throws CheckpointException {
        if (!(tuple instanceof Tuple t)) throw in.error("corrupt pickle: a tensor's " + what + " is not a tuple");
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(t.get(i) instanceof Long v)) throw in.error("corrupt pickle: a tensor's " + what + " holds " + describe(t.get(i)));
            out[i] = v;
        }
        return out;
    }

    /** BUILD: a state dict's {@code _metadata} and a parameter's state are not needed; nothing else has state. */
    private void build(Object target, Object state) throws CheckpointException {
        if (target instanceof Map || target instanceof PickledTensor) return;
        throw in.error("corrupt pickle: sets the state of " + describe(target));
    }

    private CheckpointException unsupported(int op) {
        String name = switch (op) {
            case 'i' -> "INST";
            case 'o' -> "OBJ";
            case 0x92 -> "NEWOBJ_EX";
            case 0x82, 0x83, 0x84 -> "EXT";
            case 'P' -> "PERSID";
            case 'I' -> "INT (text protocol)";
            case 'L' -> "LONG (text protocol)";
            case 'F' -> "FLOAT (text protocol)";
            case 'S' -> "STRING (text protocol)";
            case 'V' -> "UNICODE (text protocol)";
            case 'p' -> "PUT (text protocol)";
            case 'g' -> "GET (text protocol)";
            case 0x96 -> "BYTEARRAY8";
            case 0x97, 0x98 -> "an out-of-band buffer";
            default -> null;
        };
        String hex = String.format("0x%02x", op);
        long at = in.position() - 1;
        return name == null ? in.errorAt(at, "unknown pickle opcode " + hex + ": not a pickle torch.save writes (corrupt?)")
                : in.errorAt(at, "unsupported pickle opcode " + name + " (" + hex + "): only the binary opcodes torch.save writes are read");
    }

    private static String describe(Object v) {
        if (v == null) return "None";
        if (v instanceof Global g) return g.qualifiedName;
        if (v instanceof StorageType s) return s.name();
        if (v instanceof String) return "a str";
        if (v instanceof Map) return "a dict";
        if (v instanceof List) return "a list";
        if (v instanceof Tuple) return "a tuple";
        if (v instanceof PickledTensor) return "a tensor";
        return "a " + v.getClass().getSimpleName();
    }

    private void push(Object v) {
        stack.add(v);
    }

    private Object pop() throws CheckpointException {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) throw in.error("corrupt pickle: pops an empty stack");
        return stack.remove(stack.size() - 1);
    }

    private Object peek() throws CheckpointException {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) throw in.error("corrupt pickle: reads an empty stack");
        return stack.get(stack.size() - 1);
    }

    private List<Object> popN(int n) throws CheckpointException {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) items[i] = pop();
        return Arrays.asList(items);
    }

    private List<Object> popMark() throws CheckpointException {
        if (marks.isEmpty()) throw in.error("corrupt pickle: no MARK to pop to");
        int at = marks.pop();
        List<Object> items = new ArrayList<>(stack.subList(at + 1, stack.size()));
        stack.subList(at, stack.size()).clear();
        return items;
    }

    private Object memo(long key) throws CheckpointException {
        if (!memo.containsKey(key)) throw in.error("corrupt pickle: memo entry " + key + " was never stored");
        return memo.get(key);
    }

    private void putPairs(Map<Object, Object> d, List<Object> items) throws CheckpointException {
        if (items.size() % 2 != 0) throw in.error("corrupt pickle: a dict of " + items.size() + " keys and values");
        for (int i = 0; i < items.size(); i += 2) d.put(items.get(i), items.get(i + 1));
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object v) throws CheckpointException {
        if (v instanceof ArrayList<?>) return (List<Object>) v;
        throw in.error("corrupt pickle: appends to " + describe(v));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object v) throws CheckpointException {
        if (v instanceof LinkedHashMap<?, ?>) return (Map<Object, Object>) v;
        throw in.error("corrupt pickle: sets an item of " + describe(v));
    }

    @SuppressWarnings("unchecked")
    private Set<Object> set(Object v) throws CheckpointException {
        if (v instanceof LinkedHashSet<?>) return (Set<Object>) v;
        throw in.error("corrupt pickle: adds to " + describe(v));
    }

    private long length(long n) throws CheckpointException {
        if (n < 0) throw in.error("corrupt pickle: a negative length");
        return n;
    }

    /** A little-endian two's-complement integer, as a Long when it fits. */
    private static Object longOf(byte[] le) {
        if (le.length == 0) return 0L;
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) be[i] = le[le.length - 1 - i];
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
