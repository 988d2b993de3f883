package io.narrator.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The structure of a segment's container, checked before it is decoded, so that a segment cut short (mid-packet,
 * mid-box) or damaged is refused whole instead of decoded in part: FFmpeg decodes what it can of such bytes and stops
 * quietly at the damage.
 *
 * <p>MPEG-TS: whole packets of 188 bytes (or 192 and 204, the sizes with a timecode or error-correction suffix that
 * FFmpeg also reads), each starting with the sync byte {@code 0x47}. Fragmented MP4: the init segment and the data
 * each a sequence of whole ISO BMFF boxes (32-bit size and type, a 64-bit size when the size is 1, to the end when
 * it is 0).
 */
final class ContainerStructure {
    private static final byte SYNC = 0x47;
    private static final int[] TS_PACKET_SIZES = {188, 192, 204};

    private ContainerStructure() {}

    /** What is wrong with the structure of {@code init} and {@code data}, or null when nothing is. */
    static String check(SegmentDecoder.Container container, byte[] init, byte[] data) {
        return switch (container) {
            case MPEGTS -> init != null && init.length > 0 ? "MPEGTS segment has an init segment; only FMP4 segments have one" : mpegTs(data);
            case FMP4 -> {
                String problem = init == null || init.length == 0 ? null : boxes("FMP4 init segment", init);
                yield problem != null ? problem : boxes("FMP4 segment", data);
            }
        };
    }

    private static String mpegTs(byte[] data) {
        if (data.length == 0) return "MPEGTS segment is empty";
        if (data[0] != SYNC && !(data.length > 4 && data[4] == SYNC))
            return "MPEGTS segment of " + data.length + " bytes does not start with a packet (no sync byte 0x47)";
        int offset = data[0] == SYNC ? 0 : 4; // 192-byte packets put a 4-byte timecode before the sync byte
        int size = packetSize(data, offset);
        if (size == 0)
            return "MPEGTS segment of " + data.length + " bytes has no packets of 188, 192 or 204 bytes (the sync byte 0x47 does not repeat)";
        if (data.length % size != 0)
            return "MPEGTS segment of " + data.length + " bytes ends mid-packet: not a whole number of " + size + "-byte packets (truncated?)";
        for (int at = offset; at < data.length; at += size)
            if (data[at] != SYNC)
                return "MPEGTS packet " + (at / size) + " of " + (data.length / size) + " does not start with the sync byte 0x47 (corrupt)";
        return null;
    }

    /** The packet size whose sync bytes line up from {@code offset}, or 0. */
    private static int packetSize(byte[] data, int offset) {
        for (int size : TS_PACKET_SIZES) {
            if ((offset == 4) != (size == 192)) continue;
            if (data.length < size || offset + size >= data.length || data[offset + size] == SYNC) return size;
        }
        return 0;
    }

    private static String boxes(String what, byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        int count = 0;
        while (b.remaining() > 0) {
            int at = b.position();
            if (b.remaining() < 8) return what + " of " + data.length + " bytes ends inside the header of box " + (count + 1) + " (truncated?)";
            long size = b.getInt() & 0xFFFFFFFFL;
            String type = new String(data, at + 4, 4, StandardCharsets.ISO_8859_1);
            b.position(at + 8);
            if (size == 1) {
                if (b.remaining() < 8) return what + " ends inside the 64-bit size of box '" + printable(type) + "' (truncated?)";
                size = b.getLong();
                if (size < 16) return what + " has box '" + printable(type) + "' of impossible size " + size + " (corrupt)";
            } else if (size == 0) {
                size = data.length - at; // the last box runs to the end
            } else if (size < 8) {
                return what + " has box '" + printable(type) + "' of impossible size " + size + " (corrupt, or not MP4)";
            }
            if (size > data.length - at)
                return what + " of " + data.length + " bytes ends inside box '" + printable(type) + "' at byte " + at + ", which declares " + size
                        + " bytes (truncated?)";
            b.position(at + (int) size);
            count++;
        }
        return null;
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 0x20 && c < 0x7F) ? type : "?";
    }
}
