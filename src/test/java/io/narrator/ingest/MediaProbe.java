package io.narrator.ingest;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.Java2DFrameConverter;

/** Reads test output back with JavaCV: decoded frames of an in-memory chunk, and the H.264 slice data of packets. */
final class MediaProbe {
    /** A decoded frame: its presentation time, whether it is a keyframe, and the index drawn into it. */
    record Decoded(long ptsMicros, boolean keyframe, int index) {}

    /** What a chunk holds: its video codec and decoded frames in presentation order. */
    record Chunk(String codec, int width, int height, List<Decoded> frames) {}

    private MediaProbe() {}

    /** Decodes an MPEG-TS chunk on its own, from an InputStream, as a consumer of segments would. */
    static Chunk decodeTs(byte[] bytes) throws Exception {
        Java2DFrameConverter converter = new Java2DFrameConverter();
        List<Decoded> frames = new ArrayList<>();
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(new ByteArrayInputStream(bytes))) {
            grabber.setFormat("mpegts");
            grabber.start();
            Frame frame;
            while ((frame = grabber.grabImage()) != null) {
                frames.add(new Decoded(frame.timestamp, frame.keyFrame, TestVideos.readIndex(converter.convert(frame))));
            }
            return new Chunk(grabber.getVideoCodecName(), grabber.getImageWidth(), grabber.getImageHeight(), frames);
        }
    }

    /** The H.264 slice NAL units (types 1 and 5) of every video packet of a file, in decode order. */
    static List<byte[]> sliceNals(FFmpegFrameGrabber grabber, boolean lengthPrefixed) throws Exception {
        List<byte[]> slices = new ArrayList<>();
        AVPacket packet;
        while ((packet = grabber.grabPacket()) != null) {
            try {
                if (packet.stream_index() != grabber.getVideoStream() || packet.size() == 0) continue;
                byte[] data = new byte[packet.size()];
                packet.data().position(0).capacity(packet.size()).get(data);
                for (byte[] nal : lengthPrefixed ? splitLengthPrefixed(data) : splitAnnexB(data)) {
                    int type = nal[0] & 0x1f;
                    if (type == 1 || type == 5) slices.add(nal);
                }
            } finally {
                av_packet_unref(packet);
            }
        }
        return slices;
    }

    /** NAL units of an MP4-style (4-byte length prefixed) H.264 packet. */
    static List<byte[]> splitLengthPrefixed(byte[] data) {
        List<byte[]> nals = new ArrayList<>();
        int i = 0;
        while (i + 4 <= data.length) {
            int length = (data[i] & 0xff) << 24 | (data[i + 1] & 0xff) << 16 | (data[i + 2] & 0xff) << 8 | (data[i + 3] & 0xff);
            nals.add(Arrays.copyOfRange(data, i + 4, i + 4 + length));
            i += 4 + length;
        }
        return nals;
    }

    /** NAL units of an Annex-B (start code delimited) H.264 packet. */
    static List<byte[]> splitAnnexB(byte[] data) {
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i + 2 < data.length; i++) {
            if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
                starts.add(i + 3);
                i += 2;
            }
        }
        List<byte[]> nals = new ArrayList<>();
        for (int k = 0; k < starts.size(); k++) {
            int from = starts.get(k);
            int to = k + 1 < starts.size() ? starts.get(k + 1) - 3 : data.length;
            while (to > from && data[to - 1] == 0) to--; // zero bytes before the next start code (a NAL never ends in 0x00)
            nals.add(Arrays.copyOfRange(data, from, to));
        }
        return nals;
    }
}
