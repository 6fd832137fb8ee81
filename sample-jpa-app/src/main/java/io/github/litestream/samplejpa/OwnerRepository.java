package io.github.litestream.samplejpa;

import java.util.List;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/**
 * Owners, with their pets fetched in the same query where a view needs them.
 */
interface OwnerRepository extends JpaRepository<Owner, Long> {

	@Query("select distinct o from Owner o left join fetch o.pets order by o.id")
	List<Owner> findAllWithPets();

}
