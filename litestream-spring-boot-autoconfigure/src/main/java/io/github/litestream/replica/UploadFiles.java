package io.github.litestream.replica;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.github.litestream.ltx.LtxCompactor;
import io.github.litestream.ltx.LtxDecoder;
import io.github.litestream.ltx.LtxEncoder;
import io.github.litestream.ltx.LtxHeader;
import io.github.litestream.ltx.LtxTrailer;
import io.github.litestream.ltx.PageEncoding;

/**
 * Builds the files an uploader sends besides plain L0 files: the catch-up file that
 * merges a run of pending L0 files into one (DESIGN section 4.11), and the level-9
 * snapshot {@code 1-n} that seeds a replica from a full local file.
 */
final class UploadFiles {

	private UploadFiles() {
	}

	/**
	 * Merges LTX files, oldest first, into one file covering their TXID range, in steps
	 * of at most {@code maxOpen} inputs with each step's result carried into the next, so
	 * open streams stay bounded however long the outage was.
	 * @param inputs the files, contiguous and oldest first
	 * @param target the merged file
	 * @param maxOpen the most files open at once (at least 2)
	 * @param encoding how pages are encoded
	 */
	static void merge(List<Path> inputs, Path target, int maxOpen, PageEncoding encoding) throws IOException {
		List<Path> steps = new ArrayList<>();
		try {
			Path carried = null;
			List<Path> remaining = inputs;
			while (true) {
				int room = maxOpen - ((carried != null) ? 1 : 0);
				boolean last = remaining.size() <= room;
				List<Path> take = last ? remaining : remaining.subList(0, room);
				Path step = target;
				if (!last) {
					step = target.resolveSibling(target.getFileName() + ".step" + steps.size());
					steps.add(step);
				}
				List<Path> stepInputs = new ArrayList<>();
				if (carried != null) {
					stepInputs.add(carried);
				}
				stepInputs.addAll(take);
				compact(stepInputs, step, encoding);
				if (carried != null) {
					Files.deleteIfExists(carried);
				}
				if (last) {
					return;
				}
				carried = step;
				remaining = remaining.subList(take.size(), remaining.size());
			}
		}
		finally {
			for (Path step : steps) {
				Files.deleteIfExists(step);
			}
		}
	}

	/**
	 * Rewrites a full local file as the snapshot {@code 1-n} that seeds a replica: the
	 * same pages, its min TXID set to 1.
	 * @param source the full local file
	 * @param snapshot the file to write
	 * @param encoding how pages are encoded
	 * @return the written file's trailer (its checksums)
	 */
	static LtxTrailer writeSnapshot(Path source, Path snapshot, PageEncoding encoding) throws IOException {
		try (LtxDecoder decoder = new LtxDecoder(Files.newInputStream(source), source.toString());
				OutputStream out = new BufferedOutputStream(Files.newOutputStream(snapshot), 64 * 1024)) {
			LtxHeader header = decoder.header();
			LtxHeader seedHeader = new LtxHeader(header.flags(), header.pageSize(), header.commit(), 1,
					header.maxTxid(), header.timestamp(), 0, header.walOffset(), header.walSize(), header.walSalt1(),
					header.walSalt2(), header.nodeId());
			LtxEncoder encoder = new LtxEncoder(out, seedHeader, encoding);
			byte[] page = new byte[header.pageSize()];
			for (int pgno = decoder.readPage(page); pgno != 0; pgno = decoder.readPage(page)) {
				encoder.writePage(pgno, page, 0);
			}
			decoder.finish();
			return encoder.finish();
		}
	}

	private static void compact(List<Path> inputs, Path target, PageEncoding encoding) throws IOException {
		List<LtxDecoder> decoders = new ArrayList<>();
		try {
			for (Path input : inputs) {
				decoders.add(new LtxDecoder(new BufferedInputStream(Files.newInputStream(input), 64 * 1024),
						input.toString()));
			}
			try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(target), 64 * 1024)) {
				LtxCompactor.compact(decoders, out, encoding);
			}
		}
		finally {
			for (LtxDecoder decoder : decoders) {
				try {
					decoder.close();
				}
				catch (IOException ex) {
					// Only read; closing releases the stream.
				}
			}
		}
	}

}
