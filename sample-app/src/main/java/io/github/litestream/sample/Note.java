package io.github.litestream.sample;

/**
 * A note.
 *
 * @param id the ID
 * @param text the text
 * @param createdAt when it was created, ISO-8601
 */
public record Note(long id, String text, String createdAt) {
}
