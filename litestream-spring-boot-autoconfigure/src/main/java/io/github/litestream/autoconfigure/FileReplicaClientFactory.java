package io.github.litestream.autoconfigure;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import io.github.litestream.storage.ReplicaClient;
import io.github.litestream.storage.file.FileReplicaClient;
import org.jspecify.annotations.Nullable;

/**
 * Creates {@link FileReplicaClient}s for {@code file:///absolute/dir} URLs and plain
 * directory paths. The directory is created and checked for writing at startup.
 */
public final class FileReplicaClientFactory implements ReplicaClientFactory {

	@Override
	public boolean supports(String scheme) {
		return FileReplicaClient.TYPE.equals(scheme);
	}

	@Override
	public ReplicaClient create(LitestreamProperties.Replica replica, String property, @Nullable String database) {
		URI url = replica.getUrl();
		String urlProperty = property + ".url";
		Path root;
		try {
			root = toPath(url);
		}
		catch (IllegalArgumentException ex) {
			throw new LitestreamConfigurationException(urlProperty, url, "not a directory path: " + ex.getMessage(),
					"Use 'file:///absolute/dir' or a plain directory path.", ex);
		}
		if (database != null) {
			root = root.resolve(database);
		}
		root = root.toAbsolutePath().normalize();
		try {
			Files.createDirectories(root);
		}
		catch (IOException ex) {
			throw new LitestreamConfigurationException(urlProperty, url,
					"replica directory '" + root + "' cannot be created (" + ex + ")",
					"Point " + urlProperty + " at a directory this process can create and write.", ex);
		}
		if (!Files.isDirectory(root) || !Files.isWritable(root)) {
			throw new LitestreamConfigurationException(urlProperty, url,
					"replica directory '" + root + "' is not a writable directory",
					"Point " + urlProperty + " at a directory this process can write, or fix its permissions.");
		}
		return new FileReplicaClient(root);
	}

	static Path toPath(@Nullable URI url) {
		if (url == null) {
			throw new IllegalArgumentException("no URL");
		}
		if (url.getScheme() == null) {
			return Path.of(url.getPath());
		}
		if (url.isOpaque()) {
			return Path.of(url.getSchemeSpecificPart());
		}
		if (url.getAuthority() != null) {
			throw new IllegalArgumentException("file URLs have no host; use 'file:///absolute/dir'");
		}
		return Path.of(url.getPath());
	}

}
