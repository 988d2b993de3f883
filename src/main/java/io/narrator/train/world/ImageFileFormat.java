package io.narrator.train.world;

/** The image format of a frame folder: lossless PNG or compact JPEG. */
public enum ImageFileFormat {
    /** Lossless: pixels read back exactly. */
    PNG("png", ".png"),
    /** Lossy (quality 0.92): much smaller for large frames. */
    JPEG("jpeg", ".jpg");

    private final String imageIoName;
    private final String extension;

    ImageFileFormat(String imageIoName, String extension) {
        this.imageIoName = imageIoName;
        this.extension = extension;
    }

    /** The ImageIO format name. */
    public String imageIoName() {
        return imageIoName;
    }

    /** The file extension, with the dot. */
    public String extension() {
        return extension;
    }
}
