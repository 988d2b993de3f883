package io.narrator.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The JPEG and PNG images of a folder in name order (plain string order, so number frames with
 * leading zeros: {@code frame-0001.jpg}); other files are ignored.
 *
 * @param folder the folder
 * @param images the image files, sorted by file name
 */
record ImageFolder(Path folder, List<Path> images) {

    ImageFolder {
        images = List.copyOf(images);
        if (images.isEmpty()) throw new IllegalArgumentException("an image folder needs at least one image");
    }

    /**
     * Lists the images of a folder source.
     *
     * @throws IngestException if the folder cannot be listed or holds no JPEG or PNG image
     */
    static ImageFolder scan(VideoSource source) {
        if (source.kind() != VideoSource.Kind.IMAGE_FOLDER) throw new IllegalArgumentException(source + " is not an image folder");
        Path folder = Path.of(source.location());
        if (!Files.isDirectory(folder)) throw new IngestException("image folder not found: " + source);
        List<Path> images;
        try (Stream<Path> files = Files.list(folder)) {
            images = files.filter(Files::isRegularFile)
                    .filter(ImageFolder::isImageName)
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new IngestException("cannot list image folder " + source + ": " + e.getMessage(), e);
        }
        if (images.isEmpty()) throw new IngestException("image folder " + source + " has no JPEG or PNG images (*.jpg, *.jpeg, *.png)");
        return new ImageFolder(folder, images);
    }

    private static boolean isImageName(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png");
    }
}
