package io.github.litestream.restore;

/**
 * How a restore runs.
 *
 * @param target the state to restore
 * @param integrityCheck the SQLite check run on the restored file before it is moved into
 * place
 * @param ifDbNotExists skip the restore when the output database already exists
 * @param ifReplicaExists succeed without restoring when the replica holds no backup
 */
public record RestoreOptions(RestoreTarget target, IntegrityCheck integrityCheck, boolean ifDbNotExists,
		boolean ifReplicaExists) {

	/**
	 * Returns options for the latest state with a quick check, failing when the output
	 * exists or the replica is empty.
	 * @return the default options
	 */
	public static RestoreOptions defaults() {
		return new RestoreOptions(RestoreTarget.latest(), IntegrityCheck.QUICK, false, false);
	}

	/**
	 * Returns a copy with another target.
	 * @param target the target
	 * @return the options
	 */
	public RestoreOptions withTarget(RestoreTarget target) {
		return new RestoreOptions(target, this.integrityCheck, this.ifDbNotExists, this.ifReplicaExists);
	}

	/**
	 * Returns a copy with another integrity check.
	 * @param integrityCheck the check
	 * @return the options
	 */
	public RestoreOptions withIntegrityCheck(IntegrityCheck integrityCheck) {
		return new RestoreOptions(this.target, integrityCheck, this.ifDbNotExists, this.ifReplicaExists);
	}

	/**
	 * Returns a copy with Litestream's {@code -if-db-not-exists} and
	 * {@code -if-replica-exists} semantics set.
	 * @param ifDbNotExists skip when the output exists
	 * @param ifReplicaExists succeed without restoring when the replica is empty
	 * @return the options
	 */
	public RestoreOptions withConditions(boolean ifDbNotExists, boolean ifReplicaExists) {
		return new RestoreOptions(this.target, this.integrityCheck, ifDbNotExists, ifReplicaExists);
	}

}
