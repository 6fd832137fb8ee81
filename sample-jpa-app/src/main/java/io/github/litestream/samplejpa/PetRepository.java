package io.github.litestream.samplejpa;

import org.springframework.data.jpa.repository.JpaRepository;

/**
 * Pets.
 */
interface PetRepository extends JpaRepository<Pet, Long> {

}
