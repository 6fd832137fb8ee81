package io.github.litestream.samplejpa;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The clinic's transactions. Views are built inside them: with
 * {@code spring.jpa.open-in-view=false} no session outlives the transaction, so a
 * handover never waits for a request that only renders.
 */
@Service
class ClinicService {

	private final OwnerRepository owners;

	private final PetRepository pets;

	private final Clock clock;

	ClinicService(OwnerRepository owners, PetRepository pets) {
		this.owners = owners;
		this.pets = pets;
		this.clock = Clock.systemUTC();
	}

	/**
	 * Registers an owner with their pets: all of it or nothing.
	 */
	@Transactional
	OwnerView register(String name, List<NewPet> newPets) {
		Owner owner = new Owner(name, Instant.now(this.clock));
		for (NewPet pet : newPets) {
			owner.addPet(pet.name(), pet.birthDate());
		}
		return OwnerView.of(this.owners.save(owner));
	}

	/**
	 * Adds a pet to an existing owner.
	 */
	@Transactional
	Optional<PetView> addPet(long ownerId, NewPet newPet) {
		return this.owners.findById(ownerId)
			.map((owner) -> PetView.of(this.pets.save(owner.addPet(newPet.name(), newPet.birthDate()))));
	}

	@Transactional(readOnly = true)
	List<OwnerView> owners() {
		return this.owners.findAllWithPets().stream().map(OwnerView::of).toList();
	}

	@Transactional(readOnly = true)
	Optional<OwnerView> owner(long id) {
		return this.owners.findById(id).map(OwnerView::of);
	}

	@Transactional(readOnly = true)
	Counts counts() {
		return new Counts(this.owners.count(), this.pets.count());
	}

	/**
	 * A pet in a request.
	 *
	 * @param name the name
	 * @param birthDate the birth date, if known
	 */
	record NewPet(String name, LocalDate birthDate) {
	}

	/**
	 * An owner as the API shows it.
	 *
	 * @param id the ID
	 * @param name the name
	 * @param createdAt when the owner was registered
	 * @param pets the pets
	 */
	record OwnerView(long id, String name, Instant createdAt, List<PetView> pets) {

		static OwnerView of(Owner owner) {
			return new OwnerView(owner.getId(), owner.getName(), owner.getCreatedAt(),
					owner.getPets().stream().map(PetView::of).toList());
		}

	}

	/**
	 * A pet as the API shows it.
	 *
	 * @param id the ID
	 * @param name the name
	 * @param birthDate the birth date, if known
	 */
	record PetView(long id, String name, LocalDate birthDate) {

		static PetView of(Pet pet) {
			return new PetView(pet.getId(), pet.getName(), pet.getBirthDate());
		}

	}

	/**
	 * How many owners and pets the clinic knows.
	 *
	 * @param owners the owners
	 * @param pets the pets
	 */
	record Counts(long owners, long pets) {
	}

}
