package io.github.litestream.ownership;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What proves, after a restart on the same disk, that the lease in the replica is this
 * instance's own and its holder is gone (DESIGN 4.15), kept in the meta directory:
 * <ul>
 * <li>{@code instance.lock}: an exclusive OS lock held for as long as the database runs.
 * The operating system lets go of it when the process dies, however it dies, so taking it
 * proves that no process on this machine still runs the database from this disk.</li>
 * <li>{@code instance.properties}: the instance ID of the run that holds (or held) the
 * leases, and the machine it ran on: its host name and, on Linux, its boot ID. A copy of
 * the disk on another machine (a volume snapshot restored elsewhere, a cloned pod)
 * carries the record but not the machine, and the lock proves nothing about another
 * machine: the record names a machine that is not this one, so nothing is taken back. A
 * reboot changes the boot ID, so a disk moved to another node under the same host name (a
 * StatefulSet pod rescheduled) waits for the lease like any other instance. The record
 * also names the device and inode of the meta directory, which a copy on the same machine
 * (a cloned volume attached beside the original, a copied directory) does not share.</li>
 * </ul>
 * The record is written before this run asks for any lease, so every lease it ever holds
 * is covered. A record from an older version, or none, proves nothing.
 * <p>
 * POSIX locks belong to a process, and closing any descriptor of the lock file would drop
 * them: so each meta directory is locked at most once per JVM ({@link #LOCKED}), and a
 * second database on the same meta directory in this JVM never opens the file.
 */
public final class SameDiskRestart implements Closeable {

	private static final Logger logger = LoggerFactory.getLogger(SameDiskRestart.class);

	static final String LOCK_FILE = "instance.lock";

	static final String RECORD_FILE = "instance.properties";

	private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

	/** The meta directories this JVM holds the lock of: POSIX locks are per process. */
	private static final Set<Path> LOCKED = ConcurrentHashMap.newKeySet();

	private final String database;

	private final Path directory;

	private final Machine machine;

	private final @Nullable FileChannel channel;

	private final @Nullable String recorded;

	private final @Nullable String refusal;

	private SameDiskRestart(String database, Path directory, Machine machine, @Nullable FileChannel channel,
			@Nullable String recorded, @Nullable String refusal) {
		this.database = database;
		this.directory = directory;
		this.machine = machine;
		this.channel = channel;
		this.recorded = recorded;
		this.refusal = refusal;
	}

	/**
	 * Takes the lock of a meta directory if no live process holds it, and reads what the
	 * previous run recorded there.
	 * @param database the database name, for messages
	 * @param metaDirectory the meta directory, created if missing
	 * @return the restart proof; {@link #refusal()} says when nothing may be taken back
	 * @throws IOException if the meta directory cannot be created or its lock file opened
	 */
	public static SameDiskRestart open(String database, Path metaDirectory) throws IOException {
		return open(database, metaDirectory, Machine.local());
	}

	static SameDiskRestart open(String database, Path metaDirectory, Machine machine) throws IOException {
		Files.createDirectories(metaDirectory);
		Path directory = metaDirectory.toRealPath();
		// Read whoever holds the lock: it says whose lease a refused take-back leaves
		Properties record = read(directory.resolve(RECORD_FILE));
		String recorded = record.getProperty("instance");
		// Reserved before the file is opened: a second descriptor closed in this JVM
		// would drop the lock
		if (!LOCKED.add(directory)) {
			return new SameDiskRestart(database, directory, machine, null, recorded,
					"this process runs the database from this disk already");
		}
		FileChannel channel;
		FileLock lock;
		try {
			channel = FileChannel.open(directory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
					StandardOpenOption.WRITE);
			try {
				lock = channel.tryLock();
			}
			catch (OverlappingFileLockException | IOException ex) {
				lock = null;
			}
			if (lock == null) {
				channel.close();
			}
		}
		catch (IOException | RuntimeException ex) {
			LOCKED.remove(directory);
			throw ex;
		}
		if (lock == null) {
			LOCKED.remove(directory);
			return new SameDiskRestart(database, directory, machine, null, recorded,
					"another live process on this machine runs the database from this disk (it holds '"
							+ directory.resolve(LOCK_FILE) + "')");
		}
		String host = record.getProperty("host", "");
		String bootId = record.getProperty("boot-id", "");
		String disk = record.getProperty("disk", "");
		String refusal = null;
		if (!host.equals(machine.host())) {
			refusal = "the previous run was recorded on host '" + host + "', this is '" + machine.host()
					+ "' (a copy of the disk?)";
		}
		else if (!bootId.equals(machine.bootId())) {
			refusal = "the machine restarted since the previous run (boot ID '" + bootId + "', now '" + machine.bootId()
					+ "'), so the lock proves nothing about it";
		}
		else if (!disk.equals(diskOf(directory))) {
			refusal = "the meta directory '" + directory + "' is not the one the previous run recorded (device and "
					+ "inode '" + disk + "', now '" + diskOf(directory) + "': a copy of the disk?)";
		}
		return new SameDiskRestart(database, directory, machine, channel, recorded, refusal);
	}

	/**
	 * Returns the instance ID the previous run on this disk recorded: a lease in the
	 * replica that still names it was written from this disk.
	 * @return the instance ID, or {@code null} when none is recorded
	 */
	public @Nullable String recordedInstance() {
		return this.recorded;
	}

	/**
	 * Says why a lease that names the {@link #recordedInstance() recorded instance} may
	 * not be taken back: the previous run may still be alive, here or on the machine the
	 * disk was copied from.
	 * @return the reason, or {@code null} when the previous run is proven gone from this
	 * machine
	 */
	public @Nullable String refusal() {
		return this.refusal;
	}

	/**
	 * Records the run that asks for the leases now, before it asks, while this process
	 * holds the lock (otherwise the record is another live process's, and kept).
	 * @param instance its instance ID
	 * @param owner its owner ({@code host:pid}), for people
	 * @throws IOException if the record cannot be written
	 */
	void record(String instance, String owner) throws IOException {
		if (this.channel == null || !this.channel.isOpen()) {
			return;
		}
		Properties record = new Properties();
		record.setProperty("database", this.database);
		record.setProperty("instance", instance);
		record.setProperty("owner", owner);
		record.setProperty("host", this.machine.host());
		record.setProperty("boot-id", this.machine.bootId());
		record.setProperty("disk", diskOf(this.directory));
		record.setProperty("recorded-at", Instant.now().toString());
		Path file = this.directory.resolve(RECORD_FILE);
		Path tmp = this.directory.resolve(RECORD_FILE + ".tmp");
		try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
				StandardOpenOption.TRUNCATE_EXISTING)) {
			OutputStream stream = Channels.newOutputStream(out);
			record.store(stream, "The run of this database that holds its leases (litestream)");
			stream.flush();
			out.force(true);
		}
		Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		try (FileChannel parent = FileChannel.open(this.directory, StandardOpenOption.READ)) {
			parent.force(true);
		}
	}

	/**
	 * Lets go of the lock, once the leases are released (or, in tests, abandoned).
	 */
	@Override
	public void close() {
		FileChannel held = this.channel;
		if (held == null || !held.isOpen()) {
			return;
		}
		try {
			held.close();
		}
		catch (IOException ex) {
			logger.debug("Closing the lock file of database '{}' failed", this.database, ex);
		}
		finally {
			LOCKED.remove(this.directory);
		}
	}

	/**
	 * The device and inode of the meta directory: a copy (a cloned volume is another
	 * device, a copied directory another inode) differs from the original.
	 * @return {@code <dev>:<ino>}, empty where the file system does not tell them
	 */
	private static String diskOf(Path directory) {
		try {
			return Files.getAttribute(directory, "unix:dev") + ":" + Files.getAttribute(directory, "unix:ino");
		}
		catch (IOException | RuntimeException ex) {
			return "";
		}
	}

	private static Properties read(Path file) throws IOException {
		Properties properties = new Properties();
		try (InputStream in = Files.newInputStream(file)) {
			properties.load(in);
		}
		catch (NoSuchFileException ex) {
			// Nothing recorded: no previous run of this version
		}
		catch (IllegalArgumentException ex) {
			// Unreadable: proves nothing
			properties.clear();
		}
		return properties;
	}

	/**
	 * The machine a run is on.
	 *
	 * @param host its host name
	 * @param bootId its boot ID, empty where the system does not tell it
	 */
	record Machine(String host, String bootId) {

		static Machine local() {
			String bootId;
			try {
				bootId = Files.readString(BOOT_ID).trim();
			}
			catch (IOException | RuntimeException ex) {
				bootId = "";
			}
			return new Machine(ReplicaLease.Identity.localHost(), bootId);
		}

	}

}
