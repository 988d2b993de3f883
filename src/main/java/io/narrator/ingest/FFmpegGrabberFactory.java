package io.narrator.ingest;

import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens files, URLs and V4L2 devices with FFmpeg, decoding video on all cores and ignoring audio. */
final class FFmpegGrabberFactory implements GrabberFactory {
    static final FFmpegGrabberFactory INSTANCE = new FFmpegGrabberFactory();
    private static final Logger log = LoggerFactory.getLogger(FFmpegGrabberFactory.class);
    /** Network reads that stall this long fail, so a dead camera is noticed and reconnected. */
    private static final String NETWORK_TIMEOUT_MICROS = "15000000";

    private FFmpegGrabberFactory() {}

    @Override
    public FFmpegFrameGrabber open(VideoSource source) {
        if (source.kind() == VideoSource.Kind.IMAGE_FOLDER) {
            throw new IllegalArgumentException("image folders are read with ImageIO, not FFmpeg: " + source);
        }
        FFmpegLogging.install();
        FFmpegFrameGrabber grabber = configure(new FFmpegFrameGrabber(source.location()), source);
        try {
            grabber.start();
        } catch (Exception e) {
            closeQuietly(grabber);
            throw FFmpegErrors.openFailed(source, e);
        }
        if (grabber.getVideoStream() < 0 || grabber.getImageWidth() <= 0 || grabber.getImageHeight() <= 0) {
            closeQuietly(grabber);
            throw FFmpegErrors.noVideo(source);
        }
        log.debug("opened {}: {} {}x{} at {} fps, {} us long", source, grabber.getVideoCodecName(), grabber.getImageWidth(),
                grabber.getImageHeight(), grabber.getFrameRate(), grabber.getLengthInTime());
        return grabber;
    }

    /** Applies Narrator's settings to a grabber that has not started yet. */
    static FFmpegFrameGrabber configure(FFmpegFrameGrabber grabber, VideoSource source) {
        grabber.setImageMode(FrameGrabber.ImageMode.RAW);
        grabber.setVideoOption("threads", "auto");
        grabber.setAudioStream(Integer.MAX_VALUE); // no such stream: audio is neither demuxed into a decoder nor decoded
        switch (source.kind()) {
            case DEVICE -> grabber.setFormat("video4linux2");
            case URL -> {
                if (source.scheme().startsWith("rtsp")) {
                    grabber.setOption("rtsp_transport", "tcp");
                    grabber.setOption("timeout", NETWORK_TIMEOUT_MICROS);
                } else {
                    grabber.setOption("rw_timeout", NETWORK_TIMEOUT_MICROS);
                }
            }
            default -> {}
        }
        return grabber;
    }

    static void closeQuietly(FFmpegFrameGrabber grabber) {
        try {
            grabber.close();
        } catch (Exception e) {
            log.debug("closing grabber failed", e);
        }
    }
}
