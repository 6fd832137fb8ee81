package io.github.litestream.samplejpa;

import java.util.List;

import io.github.litestream.samplejpa.ClinicService.Counts;
import io.github.litestream.samplejpa.ClinicService.NewPet;
import io.github.litestream.samplejpa.ClinicService.OwnerView;
import io.github.litestream.samplejpa.ClinicService.PetView;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The clinic API: register owners with their pets, add pets, list and count.
 */
@RestController
@RequestMapping("/api")
class ClinicController {

	private final ClinicService clinic;

	ClinicController(ClinicService clinic) {
		this.clinic = clinic;
	}

	@PostMapping("/owners")
	ResponseEntity<OwnerView> register(@RequestBody NewOwner request) {
		if (request.name() == null || request.name().isBlank() || !valid(request.pets())) {
			return ResponseEntity.badRequest().build();
		}
		List<NewPet> pets = (request.pets() != null) ? request.pets() : List.of();
		return ResponseEntity.status(HttpStatus.CREATED).body(this.clinic.register(request.name(), pets));
	}

	@PostMapping("/owners/{id}/pets")
	ResponseEntity<PetView> addPet(@PathVariable long id, @RequestBody NewPet request) {
		if (!valid(List.of(request))) {
			return ResponseEntity.badRequest().build();
		}
		return this.clinic.addPet(id, request)
			.map((pet) -> ResponseEntity.status(HttpStatus.CREATED).body(pet))
			.orElseGet(() -> ResponseEntity.notFound().build());
	}

	@GetMapping("/owners")
	List<OwnerView> owners() {
		return this.clinic.owners();
	}

	@GetMapping("/owners/{id}")
	ResponseEntity<OwnerView> owner(@PathVariable long id) {
		return ResponseEntity.of(this.clinic.owner(id));
	}

	@GetMapping("/counts")
	Counts counts() {
		return this.clinic.counts();
	}

	private static boolean valid(List<NewPet> pets) {
		return pets == null || pets.stream().allMatch((pet) -> pet.name() != null && !pet.name().isBlank());
	}

	/**
	 * The body of a new owner.
	 *
	 * @param name the name
	 * @param pets the pets to register with the owner, may be absent
	 */
	record NewOwner(String name, List<NewPet> pets) {
	}

}
