package io.github.litestream.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Lists the LTX files of a Litestream file replica
 * ({@code <root>/ltx/<level>/<min>-<max>.ltx}) or of Litestream's local meta directory
 * ({@code
 *
<dir>
 * /.<db>-litestream}, same layout). Temporary {@code .tmp} files are skipped, as
 * Litestream skips them.
 */
public final class LtxFiles {

	private static final Pattern LEVEL = Pattern.compile("\\d");

	private static final Pattern NAME = Pattern.compile("([0-9a-f]{16})-([0-9a-f]{16})\\.ltx");

	private LtxFiles() {
	}

	/**
	 * Every LTX file under a root, ordered by level then TXID range.
	 * @param root a file replica root or a meta directory
	 * @return the files, empty if the root does not exist
	 */
	public static List<LtxFile> list(Path root) {
		Path ltx = root.resolve("ltx");
		if (!Files.isDirectory(ltx)) {
			return List.of();
		}
		List<LtxFile> files = new ArrayList<>();
		try (Stream<Path> levels = Files.list(ltx)) {
			for (Path dir : levels.toList()) {
				String name = dir.getFileName().toString();
				if (LEVEL.matcher(name).matches()) {
					files.addAll(list(root, Integer.parseInt(name)));
				}
			}
		}
		catch (NoSuchFileException ex) {
			return List.of();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		files.sort(Comparator.comparingInt(LtxFile::level)
			.thenComparingLong(LtxFile::minTxid)
			.thenComparingLong(LtxFile::maxTxid));
		return files;
	}

	/**
	 * The LTX files of one level, ordered by TXID range.
	 * @param root a file replica root or a meta directory
	 * @param level the level
	 * @return the files, empty if the level does not exist
	 */
	public static List<LtxFile> list(Path root, int level) {
		Path dir = root.resolve("ltx").resolve(Integer.toString(level));
		List<LtxFile> files = new ArrayList<>();
		try (Stream<Path> entries = Files.list(dir)) {
			for (Path path : entries.toList()) {
				Matcher matcher = NAME.matcher(path.getFileName().toString());
				if (!matcher.matches()) {
					continue;
				}
				try {
					BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
					files.add(new LtxFile(path, level, Long.parseUnsignedLong(matcher.group(1), 16),
							Long.parseUnsignedLong(matcher.group(2), 16), attributes.size(),
							attributes.lastModifiedTime().toInstant()));
				}
				catch (NoSuchFileException ex) {
					// Removed by retention or compaction since the listing: skip it.
				}
			}
		}
		catch (NoSuchFileException ex) {
			return List.of();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		files.sort(Comparator.comparingLong(LtxFile::minTxid).thenComparingLong(LtxFile::maxTxid));
		return files;
	}

	/**
	 * The highest TXID any file under the root covers.
	 * @param root a file replica root or a meta directory
	 * @return the TXID, 0 if there is no file
	 */
	public static long maxTxid(Path root) {
		return list(root).stream().mapToLong(LtxFile::maxTxid).max().orElse(0);
	}

	/**
	 * Litestream's local meta directory for a database: {@code
	 *
	<dir>
	 * /.<name>-litestream}.
	 * @param db the database file
	 * @return the meta directory (it holds {@code ltx/0/} staging files)
	 */
	public static Path metaDir(Path db) {
		Path absolute = db.toAbsolutePath();
		return absolute.resolveSibling("." + absolute.getFileName() + "-litestream");
	}

	/**
	 * A listing for assertion messages, one file a line.
	 * @param root a file replica root or a meta directory
	 * @return the listing
	 */
	public static String describe(Path root) {
		List<LtxFile> files = list(root);
		return files.isEmpty() ? root + ": no LTX files"
				: root + ":\n" + files.stream().map((file) -> "  " + file).collect(Collectors.joining("\n"));
	}

}
